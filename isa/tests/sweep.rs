//! The sweep table: round trips, the evaluation of its rules, and its parser facing truncated
//! and flipped bytes.

use eqisa_isa::IsaError;
use eqisa_isa::angle::{MAX_BITS, dequantize, quantize};
use eqisa_isa::sweep::{Coef, Column, Index, Rule, Slot, SweepTable, slot_index};
use proptest::prelude::*;

/// A 40 × 25 grid of (gamma, beta): gamma outer, decimal; beta inner, binary floating point;
/// one slot of each kind.
fn sample() -> SweepTable {
    SweepTable {
        points: 1000,
        angle_bits: 23,
        shifts: (0..1000).map(|i| (i % 3) as u8).collect(),
        columns: vec![
            Column::Decimal {
                index: Index { div: 25, period: 0 },
                start: 1,
                step: 1,
                exponent: 2,
            },
            Column::Float {
                index: Index { div: 1, period: 25 },
                start: -0.5,
                step: 0.04,
            },
        ],
        slots: vec![
            Slot {
                op: 7,
                rule: Rule::Linear {
                    b: 1.5,
                    terms: vec![(0, Coef::Ratio(2, 1))],
                },
            },
            Slot {
                op: 9,
                rule: Rule::Offset {
                    back: 1,
                    add: 1 << 21,
                },
            },
            Slot {
                op: 30,
                rule: Rule::Linear {
                    b: -0.25,
                    terms: vec![(0, Coef::Float(0.75)), (1, Coef::Ratio(-4, 3))],
                },
            },
            Slot {
                op: 31,
                rule: Rule::Stepped {
                    column: 1,
                    ks: (0..25u64).map(|m| m * m * 1001).collect(),
                },
            },
            Slot {
                op: 32,
                rule: Rule::Listed((0..1000u64).map(|i| (i * 7919) % (1 << 23)).collect()),
            },
        ],
    }
}

#[test]
fn round_trips_and_evaluates() {
    let t = sample();
    let bytes = t.to_bytes();
    assert_eq!(SweepTable::parse(&bytes).unwrap(), t);
    // Point 53: gamma step 2 (0.03), beta step 3.
    let v = t.values_at(53).unwrap();
    assert_eq!(v, vec![3.0 / 100.0, -0.5 + 3.0 * 0.04]);
    assert_eq!(v[0], "0.03".parse::<f64>().unwrap());
    let ks = t.slot_indices(53).unwrap();
    // Point 53's grid is 2 bits coarser.
    assert_eq!(t.point_bits(53), 21);
    assert_eq!(ks[0], quantize(1.5 + 2.0 * v[0], 21) << 2);
    assert_eq!(ks[1], (ks[0] + (1 << 21)) % (1 << 23));
    assert_eq!(
        ks[2],
        quantize(-0.25 + 0.75 * v[0] + (-4.0 / 3.0) * v[1], 21) << 2
    );
    // The stepped index, snapped to the point's grid.
    assert_eq!(ks[3], quantize(dequantize(3 * 3 * 1001, 23), 21) << 2);
    assert_eq!(ks[3], 9008);
    // Listed indices are taken modulo the grid's 2^23 steps.
    let steps = 1u64 << 23;
    assert_eq!(ks[4], (53 * 7919) % steps);
    let angles = t.slot_angles(53).unwrap();
    assert_eq!(angles[0], dequantize(ks[0], 23));
    assert!(matches!(t.values_at(1000), Err(IsaError::Limit { .. })));
}

#[test]
fn a_float_column_keeps_its_start_exactly() {
    // -0.0 + 0.0 would be +0.0: step 0 is the start itself.
    let c = Column::Float {
        index: Index { div: 1, period: 1 },
        start: -0.0,
        step: 0.5,
    };
    assert_eq!(c.value(5).unwrap().to_bits(), (-0.0f64).to_bits());
}

#[test]
fn offset_rules_need_an_earlier_slot() {
    let rule = Rule::Offset { back: 2, add: 0 };
    assert!(slot_index(&rule, 10, 0, 0, &[], &[], &[1]).is_err());
    assert_eq!(slot_index(&rule, 10, 0, 0, &[], &[], &[1, 2]).unwrap(), 1);
}

#[test]
fn refuses_what_the_format_does_not_allow() {
    let bytes = sample().to_bytes();
    let mut b = bytes.clone();
    b[0] = 2;
    assert!(matches!(
        SweepTable::parse(&b),
        Err(IsaError::UnsupportedVersion { .. })
    ));
    let mut b = bytes.clone();
    b[1] = 0;
    assert!(SweepTable::parse(&b).is_err(), "raw angles");
    let mut b = bytes.clone();
    b.push(0);
    assert!(matches!(
        SweepTable::parse(&b),
        Err(IsaError::TrailingBytes(1))
    ));
    // A table claiming a million slots in a few bytes is refused before reserving them.
    let mut t = sample();
    t.slots.clear();
    let mut b = t.to_bytes();
    b.pop();
    b.extend_from_slice(&[0x80, 0x80, 0x40]);
    assert!(matches!(
        SweepTable::parse(&b),
        Err(IsaError::Truncated { .. })
    ));
    // A decimal column that would overflow i64 at its last point.
    let t = SweepTable {
        points: 3,
        angle_bits: 10,
        shifts: vec![],
        columns: vec![Column::Decimal {
            index: Index { div: 1, period: 0 },
            start: i64::MAX - 1,
            step: 1,
            exponent: 0,
        }],
        slots: vec![],
    };
    assert!(SweepTable::parse(&t.to_bytes()).is_err());
}

#[test]
fn every_truncation_and_bit_flip_is_refused_or_valid() {
    let bytes = sample().to_bytes();
    for cut in 0..bytes.len() {
        assert!(SweepTable::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            if let Ok(t) = SweepTable::parse(&b) {
                // Whatever parses is a table: it writes back to the same bytes, and every
                // point evaluates (to values or an error, never a panic).
                assert_eq!(t.to_bytes(), b);
                for p in 0..t.points.min(50) {
                    let _ = t.slot_indices(p);
                }
            }
        }
    }
}

fn index() -> impl Strategy<Value = Index> {
    (1u32..50, 0u32..50).prop_map(|(div, period)| Index { div, period })
}

fn finite() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL
}

fn column(points: u32) -> impl Strategy<Value = Column> {
    prop_oneof![
        (index(), finite(), finite()).prop_map(|(index, start, step)| Column::Float {
            index,
            start,
            step
        }),
        (index(), -1_000_000i64..1_000_000, -1000i64..1000, 0u8..=22).prop_map(
            |(index, start, step, exponent)| Column::Decimal {
                index,
                start,
                step,
                exponent
            }
        ),
        prop::collection::vec(finite(), points as usize).prop_map(Column::Raw),
    ]
}

fn table() -> impl Strategy<Value = SweepTable> {
    (1u32..40, 1u8..=MAX_BITS, 0usize..4)
        .prop_flat_map(|(points, bits, ncols)| {
            let mask = (1u64 << bits) - 1;
            let cols = prop::collection::vec(column(points), ncols);
            let rule = prop_oneof![
                (
                    finite(),
                    prop::collection::vec(
                        (
                            0..ncols.max(1) as u32,
                            prop_oneof![
                                finite().prop_map(Coef::Float),
                                (-100i64..100, 1u64..100).prop_map(|(p, q)| Coef::Ratio(p, q)),
                            ]
                        ),
                        0..=ncols
                    )
                )
                    .prop_map(move |(b, terms)| Rule::Linear {
                        b,
                        terms: if ncols == 0 { vec![] } else { terms }
                    }),
                (1u32..3, 0..=mask).prop_map(|(back, add)| Rule::Offset { back, add }),
                prop::collection::vec(0..=mask, points as usize).prop_map(Rule::Listed),
                prop::collection::vec(0..=mask, 1..=points as usize)
                    .prop_map(|ks| Rule::Stepped { column: 0, ks }),
            ];
            let slots = prop::collection::vec((0u32..5, rule), 0..8);
            let shifts = prop_oneof![
                Just(Vec::new()),
                prop::collection::vec(0..bits, points as usize),
            ];
            (Just(points), Just(bits), shifts, cols, slots)
        })
        .prop_map(|(points, angle_bits, shifts, columns, raw_slots)| {
            let mut op = 0;
            let mut slots = Vec::new();
            for (gap, rule) in raw_slots {
                // An offset rule must name an earlier slot.
                let rule = match rule {
                    Rule::Offset { back, add } if back as usize > slots.len() => Rule::Listed(
                        (0..points).map(|i| u64::from(i) & add).collect::<Vec<_>>(),
                    ),
                    // A stepped rule must name a progression column.
                    Rule::Stepped { ks, .. }
                        if !matches!(columns.first(), Some(c) if c.step(0).is_some()) =>
                    {
                        Rule::Listed((0..points as usize).map(|i| ks[i % ks.len()]).collect())
                    }
                    r => r,
                };
                op += gap;
                slots.push(Slot { op, rule });
                op += 1;
            }
            // All-zero shifts are written as none.
            let shifts = if shifts.iter().all(|&s| s == 0) { Vec::new() } else { shifts };
            SweepTable {
                points,
                angle_bits,
                shifts,
                columns,
                slots,
            }
        })
}

proptest! {
    #[test]
    fn any_table_round_trips(t in table()) {
        let bytes = t.to_bytes();
        let back = SweepTable::parse(&bytes).unwrap();
        prop_assert_eq!(&back, &t);
        for p in 0..t.points {
            prop_assert_eq!(back.slot_indices(p), t.slot_indices(p));
        }
    }
}
