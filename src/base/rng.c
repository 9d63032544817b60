#include "base.h"

#include <math.h>

uint64_t ats_rng_next(ats_rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double ats_rng_uniform(ats_rng *r) {
    return ((double)(ats_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

float ats_rng_gauss(ats_rng *r) {
    double u = ats_rng_uniform(r), v = ats_rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v));
}

uint32_t ats_rng_below(ats_rng *r, uint32_t n) {
    /* Lemire's multiply-shift on the top 32 bits; the bias (< n / 2^32) is immaterial here */
    return (uint32_t)(((ats_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
