/* decode: runs an EQISA program through the C decoder library as firmware would.
 *
 *   ./decode FILE.eqb [CODEBOOK.eqcb]
 *
 * Reads the file, asks eqisa_memory_needed how much memory the decoder needs (first with the
 * file's first 4 KiB, then with more while it asks for more), allocates exactly that once,
 * and feeds the file in chunks of 64 bytes (EQISA_DECODE_CHUNK sets another size). A real-time `while` loop runs its body once each
 * time it is entered (its condition holds when asked before the first iteration, not after),
 * which is how `eqisa decode` counts without --flatten. Prints `ops N` (instructions released)
 * and, for a program with a pulse section, `samples N`: the non-zero I/Q samples of its plays,
 * which is `eqisa decode --samples X.npy --json`'s `pulses.samples` as long as no two plays on
 * one channel overlap (then it warns). On an error it prints the code's message and the
 * details to standard error and exits 1. With EQISA_DECODE_STATS set it also prints to standard
 * error how the decoder used its memory: the arena's allocation count at the first and at the
 * last instruction and at the end, its peak use and the memory given. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqisa_decoder.h"

#define CHUNK 64
#define MAX_CHANNELS 4096

static int fail(const char *what, int code, eqisa_decoder *dec) {
    fprintf(stderr, "decode: %s: %s (%d)\n", what, eqisa_error_message(code), code);
    const char *detail = dec ? eqisa_decoder_last_error(dec) : eqisa_last_error();
    if (detail && detail[0]) {
        fprintf(stderr, "decode: %s\n", detail);
    }
    return 1;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return NULL;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s FILE.eqb [CODEBOOK.eqcb]\n", argv[0]);
        return 2;
    }
    size_t len = 0, cb_len = 0;
    uint8_t *program = read_file(argv[1], &len);
    if (!program) {
        return 1;
    }
    uint8_t *codebook = NULL;
    if (argc == 3 && !(codebook = read_file(argv[2], &cb_len))) {
        return 1;
    }

    /* The first bytes say how much memory the decoder needs; more when they do not reach the
     * sections that size it, or the pulse section. */
    eqisa_requirements req;
    size_t head = len < 4096 ? len : 4096;
    int rc;
    for (;;) {
        rc = eqisa_memory_needed(program, head, codebook, cb_len, &req);
        if (rc < 0) {
            return fail("eqisa_memory_needed", rc, NULL);
        }
        if (rc == EQISA_STATUS_OK && (req.whole_program || head == len)) {
            break;
        }
        if (head == len) {
            return fail("eqisa_memory_needed", EQISA_STATUS_ERR_TRUNCATED, NULL);
        }
        head = head * 4 < len ? head * 4 : len;
    }
    void *memory = malloc(req.memory_bytes);
    if (!memory) {
        perror("malloc");
        return 1;
    }
    eqisa_decoder *dec = NULL;
    rc = eqisa_decoder_init(memory, req.memory_bytes, codebook, cb_len, &req, &dec);
    if (rc != EQISA_STATUS_OK) {
        return fail("eqisa_decoder_init", rc, NULL);
    }

    uint64_t ops = 0, samples = 0, first_op_allocs = 0, last_op_allocs = 0;
    eqisa_memory_stats stats;
    int pulses = 0, overlaps = 0;
    static uint64_t channel_end[MAX_CHANNELS];
    size_t at = 0, chunk = CHUNK;
    const char *chunk_env = getenv("EQISA_DECODE_CHUNK");
    if (chunk_env && atol(chunk_env) > 0) {
        chunk = (size_t)atol(chunk_env);
    }
    for (;;) {
        eqisa_event ev;
        rc = eqisa_decoder_next(dec, &ev);
        if (rc != EQISA_STATUS_OK) {
            return fail("eqisa_decoder_next", rc, dec);
        }
        if (ev.kind == EQISA_EVENT_KIND_END) {
            break;
        } else if (ev.kind == EQISA_EVENT_KIND_OP) {
            ops++;
            eqisa_decoder_memory_stats(dec, &stats);
            if (ops == 1) {
                first_op_allocs = stats.allocations;
            }
            last_op_allocs = stats.allocations;
        } else if (ev.kind == EQISA_EVENT_KIND_PLAY) {
            pulses = 1;
            const int16_t *s = ev.play.samples;
            for (uint64_t i = 0; i < ev.play.sample_count; i++) {
                samples += (s[2 * i] != 0 || s[2 * i + 1] != 0);
            }
            uint32_t c = ev.play.channel_position;
            if (c < MAX_CHANNELS) {
                overlaps += ev.play.start < channel_end[c];
                channel_end[c] = ev.play.start + ev.play.sample_count;
            }
        } else if (ev.kind == EQISA_EVENT_KIND_AWAIT) {
            rc = eqisa_decoder_answer(dec, ev.condition.iteration == 0);
            if (rc != EQISA_STATUS_OK) {
                return fail("eqisa_decoder_answer", rc, dec);
            }
        } else if (at == len) {
            break; /* NEED_INPUT at the end of the file: finish says what is missing */
        } else {
            size_t n = len - at < chunk ? len - at : chunk, taken = 0;
            rc = eqisa_decoder_feed(dec, program + at, n, &taken);
            if (rc != EQISA_STATUS_OK) {
                return fail("eqisa_decoder_feed", rc, dec);
            }
            at += taken;
        }
    }
    rc = eqisa_decoder_finish(dec);
    if (rc != EQISA_STATUS_OK) {
        return fail("eqisa_decoder_finish", rc, dec);
    }
    if (at != len) {
        fprintf(stderr, "decode: %zu bytes after the end of the program\n", len - at);
        return 1;
    }
    printf("ops %llu\n", (unsigned long long)ops);
    if (pulses) {
        printf("samples %llu\n", (unsigned long long)samples);
        if (overlaps) {
            fprintf(stderr, "decode: warning: %d plays overlap an earlier play on their channel\n", overlaps);
        }
    }
    if (getenv("EQISA_DECODE_STATS")) {
        eqisa_decoder_memory_stats(dec, &stats);
        fprintf(stderr,
                "stats first_op_allocations=%llu last_op_allocations=%llu end_allocations=%llu "
                "peak=%zu memory=%zu block=%zu whole=%d\n",
                (unsigned long long)first_op_allocs, (unsigned long long)last_op_allocs,
                (unsigned long long)stats.allocations, stats.peak, stats.capacity,
                req.block_bytes, (int)req.whole_program);
    }
    eqisa_decoder_release(dec);
    free(memory);
    free(program);
    free(codebook);
    return 0;
}
