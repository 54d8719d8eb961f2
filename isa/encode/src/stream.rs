//! The instruction section's encoder: the copy planner in front of the block framing.

use eqisa_isa::container::Target;
use eqisa_isa::error::IsaError;
use eqisa_isa::instr::Instr;
use eqisa_isa::model::{Priors, ProgramParams};
use eqisa_isa::stream::BlockEncoder;

use crate::planner::{Planned, Planner};

/// Encodes instructions into the instruction section's blocks.
#[derive(Debug)]
pub struct StreamEncoder {
    blocks: BlockEncoder,
    planner: Planner,
    /// Operations taken from the planner, being coded.
    planned: Vec<Planned>,
}

impl StreamEncoder {
    /// An encoder for one program.
    pub fn new(priors: &Priors, params: ProgramParams) -> Result<StreamEncoder, IsaError> {
        Ok(StreamEncoder {
            blocks: BlockEncoder::new(priors, params)?,
            planner: Planner::new(params.target == Target::CliffordT, &priors.words),
            planned: Vec::new(),
        })
    }

    /// Encode one instruction (and its timing when the program carries it explicitly). Runs of
    /// one-qubit gates on one qubit are held back until they end, to be planned as literals and
    /// copies ([`Planner`]).
    pub fn push(&mut self, instr: &Instr<'_>, timing: (f64, f64)) -> Result<(), IsaError> {
        let buffered = self.planner.offer(instr, timing);
        if self.planner.has_plan() {
            self.code_planned()?;
        }
        if !buffered {
            self.blocks.push(instr, timing)?;
        }
        Ok(())
    }

    /// Code the operations the planner has finished planning.
    fn code_planned(&mut self) -> Result<(), IsaError> {
        let mut planned = std::mem::take(&mut self.planned);
        planned.extend(self.planner.take());
        for p in planned.drain(..) {
            self.blocks.push_packed(p.packed, &p.instr(), p.timing)?;
        }
        // The buffer is kept for the next run (no allocation per run).
        self.planned = planned;
        Ok(())
    }

    /// Close the last block and return the section payload and the number of blocks.
    pub fn finish(mut self) -> Result<(Vec<u8>, u64), IsaError> {
        self.planner.finish();
        self.code_planned()?;
        self.blocks.finish()
    }
}
