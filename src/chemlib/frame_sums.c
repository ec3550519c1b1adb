/*
 * The pass over one trajectory frame of rmsd_trajectory (frame_sums in
 * superposition.f90): S = sum w (a - ca) (b - ca)^T against the prepared
 * reference, the frame's weighted sum relative to ca and its sum w |b - ca|^2,
 * all in one read of the frame. At a few hundred atoms this pass is most of a
 * frame's time, and its width sets the pace: the x86-64 baseline (SSE2) holds
 * two doubles to a register, AVX2 (x86-64-v3) four and fuses multiply-adds.
 * So, as for the no-box distance loop (point_distances.c), the body is
 * compiled for both and the CPU picks at run time: pip's wheel and conda's
 * microarch level 1 run the wide loop wherever the CPU has it, as fast as the
 * level-3 build.
 *
 * Deliberately unlike point_distances.c, the two paths do not round alike.
 * The sums vectorise with one partial sum per lane, so the vector width sets
 * the order of the additions, as it does between the baseline and the level-3
 * builds of every other sum in the Fortran kernels. Four partial sums on both
 * paths would make them bitwise equal, but 13 sums of four doubles do not fit
 * SSE2's 16 registers: measured, that made CPUs without AVX2 15% slower, and
 * forbidding FMA made the level-3 build 5% slower. Both paths are held to the
 * precision bound of rmsd_trajectory (tests/kernels/test_precision.py).
 * This file is built without -ffp-contract=off for that reason (meson.build).
 */
#include <stdint.h>

#include "simd_dispatch.h"

/*
 * wa: the weighted centred reference as columns (n, 3), Fortran order;
 * ca: the reference's centroid; b: the frame as rows (3, n); w: the weights.
 * s: 3x3 in Fortran order, s(i, j) = sum w a'_i (b - ca)_j. b is taken
 * relative to ca, which removes the bulk of any offset from the origin before
 * anything is squared.
 */
static inline __attribute__((always_inline)) void
frame_sums_body(int64_t n, const double *restrict wa, const double *restrict ca,
                const double *restrict b, const double *restrict w, double *restrict s,
                double *restrict sum_wb, double *restrict sum_wbb)
{
    const double *restrict wa_x = wa, *restrict wa_y = wa + n, *restrict wa_z = wa + 2 * n;
    const double cx = ca[0], cy = ca[1], cz = ca[2];
    double s11 = 0, s21 = 0, s31 = 0, s12 = 0, s22 = 0, s32 = 0, s13 = 0, s23 = 0, s33 = 0;
    double wbx = 0, wby = 0, wbz = 0, wbb = 0;
#pragma omp simd reduction(+ : s11, s21, s31, s12, s22, s32, s13, s23, s33, wbx, wby, wbz, wbb)
    for (int64_t k = 0; k < n; ++k) {
        const double bx = b[3 * k] - cx, by = b[3 * k + 1] - cy, bz = b[3 * k + 2] - cz;
        const double tx = w[k] * bx, ty = w[k] * by, tz = w[k] * bz;
        wbx += tx;
        wby += ty;
        wbz += tz;
        wbb += tx * bx + ty * by + tz * bz;
        s11 += wa_x[k] * bx;
        s21 += wa_y[k] * bx;
        s31 += wa_z[k] * bx;
        s12 += wa_x[k] * by;
        s22 += wa_y[k] * by;
        s32 += wa_z[k] * by;
        s13 += wa_x[k] * bz;
        s23 += wa_y[k] * bz;
        s33 += wa_z[k] * bz;
    }
    s[0] = s11;
    s[1] = s21;
    s[2] = s31;
    s[3] = s12;
    s[4] = s22;
    s[5] = s32;
    s[6] = s13;
    s[7] = s23;
    s[8] = s33;
    sum_wb[0] = wbx;
    sum_wb[1] = wby;
    sum_wb[2] = wbz;
    *sum_wbb = wbb;
}

static void
frame_sums_baseline(int64_t n, const double *restrict wa, const double *restrict ca,
                    const double *restrict b, const double *restrict w, double *restrict s,
                    double *restrict sum_wb, double *restrict sum_wbb)
{
    frame_sums_body(n, wa, ca, b, w, s, sum_wb, sum_wbb);
}

#if CHEMLIB_DISPATCH_AVX2
/* Level 3 means AVX2 and FMA (chemlib_best_simd_level). */
__attribute__((target("avx2,fma"))) static void
frame_sums_avx2(int64_t n, const double *restrict wa, const double *restrict ca,
                const double *restrict b, const double *restrict w, double *restrict s,
                double *restrict sum_wb, double *restrict sum_wbb)
{
    frame_sums_body(n, wa, ca, b, w, s, sum_wb, sum_wbb);
}
#endif

/* Called from Fortran (bind(C) in superposition.f90), once per frame. */
void
chemlib_frame_sums(int64_t n, const double *wa, const double *ca, const double *b,
                   const double *w, double *s, double *sum_wb, double *sum_wbb, int simd_level)
{
#if CHEMLIB_DISPATCH_AVX2
    if (simd_level != CHEMLIB_SIMD_BASELINE &&
        chemlib_best_simd_level() == CHEMLIB_SIMD_X86_64_V3) {
        frame_sums_avx2(n, wa, ca, b, w, s, sum_wb, sum_wbb);
        return;
    }
#else
    (void)simd_level;
#endif
    frame_sums_baseline(n, wa, ca, b, w, s, sum_wb, sum_wbb);
}
