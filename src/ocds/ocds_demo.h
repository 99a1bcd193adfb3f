/*
 * ocds_demo.h - a deterministic generator of Belgian-defence-like
 * procurement procedures as OCDS 1.1 releases with Belfry's defence
 * extension (ext/defence/), for `belfry demo` and the benchmarks.
 *
 * Each procedure (one ocid) runs planning -> tender (maybe amended or
 * cancelled) -> award -> contract -> implementation (milestones,
 * transactions), maybe contract amendments, and ends with a termination
 * release once paid. Buyers are Belgian Defence (DG Material Resources),
 * NATO/multinational agencies, BELCOMP and the federal police; suppliers
 * come from many countries with their register identifiers; CPV codes,
 * capability areas, Directive 2009/81/EC procedures (with Art. 28 grounds
 * for negotiated procedures without publication), log-normal values in
 * EUR and legal minimum time limits follow the real distributions
 * roughly. Secret procedures withhold award and contract values.
 *
 * Determinism: the output depends only on (seed, index of the release):
 * procedure k is generated from its own PRNG stream derived from seed and
 * k, so a larger count extends a smaller one. The releases of a procedure
 * are emitted consecutively in date order. Ocids are
 * "ocds-b3lfry-<unit>-<year>-<k>" for seed 1 and carry "S<seed>-" before
 * k for other seeds, so data sets of different seeds never collide.
 */
#ifndef BELFRY_OCDS_DEMO_H
#define BELFRY_OCDS_DEMO_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

struct bf_err;

/* Called for each release; release is owned by the generator (incref to
 * keep it). Return non-zero to stop (returned by ocds_demo_generate). */
typedef int (*ocds_demo_fn)(void *arg, json_t *release);

/* Generates `count` releases (the last procedure may be cut short). */
int ocds_demo_generate(uint64_t seed, uint64_t count, ocds_demo_fn fn, void *arg);
/* The same releases as a new JSON array (the caller's reference). */
json_t *ocds_demo_array(uint64_t seed, uint64_t count);

/* Writes `count` releases as JSON Lines (compact, one per line) to out;
 * *bytes (may be NULL) gets the number of bytes written. BF_EIO. */
int ocds_demo_jsonl(uint64_t seed, uint64_t count, FILE *out, uint64_t *bytes, struct bf_err *err);

#ifdef OCDS_DEMO_INTERNAL
/* ---- tables (ocds_demo_data.c), for the generator only ----------------- */
struct demo_buyer {
    const char *party_id, *scheme, *ident, *name, *locality, *country, *unit;
    int weight;
};
struct demo_country {
    const char *code, *name, *scheme;
    int digits;
    const char *locality;
    const char *const *places, *const *forms;
    int weight;
};
struct demo_cpv {
    const char *code, *desc;
    int category; /* 0 goods, 1 works, 2 services */
};
struct demo_cap {
    const char *code;
    const struct demo_cpv *cpv;
    size_t ncpv;
    const char *const *titles;
    int weight;
    double median_eur;
};
struct demo_ground {
    const char *code, *why;
    int weight;
};
extern const struct demo_buyer demo_buyers[];
extern const size_t demo_nbuyers;
extern const struct demo_country demo_countries[];
extern const size_t demo_ncountries;
extern const char *const demo_trades[];
extern const struct demo_cap demo_caps[];
extern const size_t demo_ncaps;
extern const struct demo_ground demo_grounds[];
extern const size_t demo_ngrounds;
#endif

#endif
