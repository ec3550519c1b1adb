/*
 * The pass over one trajectory frame of rmsd_trajectory (frame_sums in
 * superposition.f90): S = sum w (a - ca) (b - ca)^T against the prepared
 * reference, the frame's weighted sum relative to ca and its sum w |b - ca|^2,
 * all in one read of the frame. At a few hundred atoms this pass is most of a
 * frame's time, and its width sets the pace: the x86-64 baseline (SSE2) holds
 * two doubles to a register, AVX2 (x86-64-v3) four and fuses multiply-adds.
 * So, as for the no-box distance loop (point_distances.c), the pass is
 * compiled for both and the CPU picks at run time: pip's wheel and conda's
 * microarch level 1 run the wide loop wherever the CPU has it.
 *
 * The AVX2 path is written with intrinsics, once for float64 and once for
 * float32 frames from one macro: the same operations in the same order, so
 * float32 frames give the float64 result of their values bit for bit, while
 * reading half the bytes and widening four values per instruction. Written
 * as a loop, gcc split each frame's rows (x y z x | y z x y | z x y z) into
 * x, y and z with twelve shuffles per four atoms and spilled four sums to the
 * stack; here it takes five shuffles and the last, partial group of atoms
 * is loaded under a mask instead of in a scalar loop. The baseline path stays
 * portable C (it also serves CPUs that are not x86) and takes float32 frames
 * widened into the caller's buffer.
 *
 * Deliberately unlike point_distances.c, the two paths do not round alike.
 * The sums keep one partial sum per vector lane, so the vector width sets
 * the order of the additions, as it does between the baseline and the level-3
 * builds of every other sum in the Fortran kernels. Four partial sums on both
 * paths would make them bitwise equal, but 13 sums of four doubles do not fit
 * SSE2's 16 registers: measured, that made CPUs without AVX2 15% slower. Both
 * paths are held to the precision bound of rmsd_trajectory
 * (tests/kernels/test_precision.py). This file is built without
 * -ffp-contract=off for that reason (meson.build).
 */
#include <stdint.h>

#include "simd_dispatch.h"

/*
 * wa: the weighted centred reference as columns (n, 3), Fortran order;
 * ca: the reference's centroid; b: the frame as rows (3, n); w: the weights.
 * s: 3x3 in Fortran order, s(i, j) = sum w a'_i (b - ca)_j. b is taken
 * relative to ca, which removes the bulk of any offset from the origin before
 * anything is squared.
 *
 * centred (a constant once inlined) is 0 for precentred frames: the caller
 * centred them, so ca is not subtracted and sum_wb, which would only serve
 * to centre b, is not summed (left 0): per atom 3 subtractions and 3
 * weighted sums fewer. S and the norm remain, the pass mdtraj's precentred
 * path makes (there in float32).
 */
static inline CHEMLIB_ALWAYS_INLINE void
frame_pass_portable(int64_t n, const double *restrict wa, const double *restrict ca,
                    const double *restrict b, const double *restrict w, double *restrict s,
                    double *restrict sum_wb, double *restrict sum_wbb, const int centred)
{
    const double *restrict wa_x = wa, *restrict wa_y = wa + n, *restrict wa_z = wa + 2 * n;
    const double cx = ca[0], cy = ca[1], cz = ca[2];
    double s11 = 0, s21 = 0, s31 = 0, s12 = 0, s22 = 0, s32 = 0, s13 = 0, s23 = 0, s33 = 0;
    double wbx = 0, wby = 0, wbz = 0, wbb = 0;
#pragma omp simd reduction(+ : s11, s21, s31, s12, s22, s32, s13, s23, s33, wbx, wby, wbz, wbb)
    for (int64_t k = 0; k < n; ++k) {
        double bx = b[3 * k], by = b[3 * k + 1], bz = b[3 * k + 2];
        if (centred) {
            bx -= cx;
            by -= cy;
            bz -= cz;
        }
        const double tx = w[k] * bx, ty = w[k] * by, tz = w[k] * bz;
        if (centred) {
            wbx += tx;
            wby += ty;
            wbz += tz;
        }
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

/* The portable path, compiled once per kind of frame. */
static void
frame_sums_baseline(int64_t n, const double *wa, const double *ca, const double *b,
                    const double *w, double *s, double *sum_wb, double *sum_wbb, int precentred)
{
    if (precentred) {
        frame_pass_portable(n, wa, ca, b, w, s, sum_wb, sum_wbb, 0);
    } else {
        frame_pass_portable(n, wa, ca, b, w, s, sum_wb, sum_wbb, 1);
    }
}

#if CHEMLIB_DISPATCH_X86
#include <immintrin.h>

#define AVX2 CHEMLIB_TARGET_X86_64_V3
#define AVX2_INLINE static inline CHEMLIB_ALWAYS_INLINE CHEMLIB_TARGET_X86_64_V3

/* Four atoms' rows as they lie in three vectors, v0 = x0 y0 z0 x1,
 * v1 = y1 z1 x2 y2, v2 = z2 x3 y3 z3, split into x, y and z. */
AVX2_INLINE void
split_rows(__m256d v0, __m256d v1, __m256d v2, __m256d xyz[3])
{
    const __m256d x0y0x2y2 = _mm256_blend_pd(v0, v1, 12);
    const __m256d z0x1z2x3 = _mm256_permute2f128_pd(v0, v2, 0x21);
    const __m256d y1z1y3z3 = _mm256_blend_pd(v1, v2, 12);
    const __m256d x1y1x3y3 = _mm256_shuffle_pd(z0x1z2x3, y1z1y3z3, 5);
    xyz[0] = _mm256_unpacklo_pd(x0y0x2y2, x1y1x3y3);
    xyz[1] = _mm256_unpackhi_pd(x0y0x2y2, x1y1x3y3);
    xyz[2] = _mm256_shuffle_pd(z0x1z2x3, y1z1y3z3, 10);
}

/* Lanes where index < limit: the atoms (or row values) that exist. */
AVX2_INLINE __m256i
lanes_below(int64_t first, int64_t limit)
{
    const __m256i index = _mm256_add_epi64(_mm256_set1_epi64x(first), _mm256_setr_epi64x(0, 1, 2, 3));
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(limit), index);
}

/* Four consecutive row values as doubles (float32 values widen exactly). */
AVX2_INLINE __m256d
load_rows_f64(const double *p)
{
    return _mm256_loadu_pd(p);
}

AVX2_INLINE __m256d
load_rows_f64_masked(const double *p, __m256i mask)
{
    return _mm256_maskload_pd(p, mask);
}

AVX2_INLINE __m256d
load_rows_f32(const float *p)
{
    return _mm256_cvtps_pd(_mm_loadu_ps(p));
}

AVX2_INLINE __m256d
load_rows_f32_masked(const float *p, __m256i mask)
{
    /* The 64-bit lane masks narrowed to the 32-bit lanes of four floats. */
    const __m128i narrow = _mm256_castsi256_si128(
        _mm256_permutevar8x32_epi32(mask, _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0)));
    return _mm256_cvtps_pd(_mm_maskload_ps(p, narrow));
}

/* (l0 + l2) + (l1 + l3), the same order on every call. */
AVX2_INLINE double
lane_sum(__m256d v)
{
    const __m128d halves = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(halves, _mm_unpackhi_pd(halves, halves)));
}

/* The sums of one group of four atoms: rows split into x, y and z, taken
 * relative to ca here unless the frame is precentred (centred 0: no
 * subtraction and no sum_wb); wk their weights, a the weighted reference's
 * x, y, z. Lanes of atoms that do not exist hold zero weights and zero
 * reference values and add exact zeros. */
AVX2_INLINE void
add_group(const __m256d rows[3], const __m256d centre[3], __m256d wk, const __m256d a[3],
          __m256d s[3][3], __m256d wb[3], __m256d *wbb, const int centred)
{
    __m256d bc[3];
    for (int j = 0; j < 3; ++j) {
        if (centred) {
            bc[j] = _mm256_sub_pd(rows[j], centre[j]);
            wb[j] = _mm256_fmadd_pd(wk, bc[j], wb[j]);
        } else {
            bc[j] = rows[j];
        }
    }
    /* w |b - ca|^2 as w (x^2 + y^2 + z^2): 19 operations per group where
     * (w x) x + (w y) y + (w z) z took 21, and one operation on wbb, whose
     * chain from group to group would otherwise set the loop's pace. */
    const __m256d squared = _mm256_fmadd_pd(
        bc[2], bc[2], _mm256_fmadd_pd(bc[1], bc[1], _mm256_mul_pd(bc[0], bc[0])));
    *wbb = _mm256_fmadd_pd(wk, squared, *wbb);
    for (int j = 0; j < 3; ++j) {
        for (int i = 0; i < 3; ++i) {
            s[j][i] = _mm256_fmadd_pd(a[i], bc[j], s[j][i]);
        }
    }
}

/* How far ahead of the group being summed the pass asks for the frame's
 * rows. The hardware prefetcher does not follow a stream across a 4 KB page
 * boundary, and under KVM it was seen to lag behind even within one: asking
 * 2 KB ahead made the float64 pass 10-15% faster in one thread on a Sapphire
 * Rapids Xeon (the precentred pass over 1000 frames of 1000 atoms 1.01 ->
 * 0.90 ms), float32 frames 3-7%. 768 bytes gained half of that, 3 KB no more.
 * A prefetch never faults, so reaching past the end of the frame is harmless;
 * the address is formed as an integer, never as a pointer past the array. */
#define PREFETCH_BYTES 2048

/* The frame pass for frames of element type T, loaded four row values at a
 * time by LOAD (LOAD_MASKED for the last, partial group); CENTRED 0 for
 * precentred frames (add_group). */
#define FRAME_SUMS_AVX2(NAME, T, LOAD, LOAD_MASKED, CENTRED)                                        \
    AVX2 static void NAME(int64_t n, const double *restrict wa, const double *restrict ca,          \
                          const T *restrict b, const double *restrict w, double *restrict s,        \
                          double *restrict sum_wb, double *restrict sum_wbb)                        \
    {                                                                                               \
        const __m256d centre[3] = {_mm256_set1_pd(ca[0]), _mm256_set1_pd(ca[1]),                    \
                                   _mm256_set1_pd(ca[2])};                                          \
        __m256d acc[3][3], wb[3], wbb = _mm256_setzero_pd(), rows[3], a[3];                         \
        for (int j = 0; j < 3; ++j) {                                                               \
            wb[j] = wbb;                                                                            \
            for (int i = 0; i < 3; ++i) {                                                           \
                acc[j][i] = wbb;                                                                    \
            }                                                                                       \
        }                                                                                           \
        int64_t k = 0;                                                                              \
        for (; k + 4 <= n; k += 4) {                                                                \
            _mm_prefetch((const char *)((uintptr_t)(b + 3 * k) + PREFETCH_BYTES), _MM_HINT_T0);     \
            split_rows(LOAD(b + 3 * k), LOAD(b + 3 * k + 4), LOAD(b + 3 * k + 8), rows);            \
            for (int i = 0; i < 3; ++i) {                                                           \
                a[i] = _mm256_loadu_pd(wa + i * n + k);                                             \
            }                                                                                       \
            add_group(rows, centre, _mm256_loadu_pd(w + k), a, acc, wb, &wbb, CENTRED);             \
        }                                                                                           \
        if (k < n) {                                                                                \
            const __m256i atoms = lanes_below(k, n);                                                \
            split_rows(LOAD_MASKED(b + 3 * k, lanes_below(3 * k, 3 * n)),                           \
                       LOAD_MASKED(b + 3 * k + 4, lanes_below(3 * k + 4, 3 * n)),                   \
                       LOAD_MASKED(b + 3 * k + 8, lanes_below(3 * k + 8, 3 * n)), rows);            \
            for (int i = 0; i < 3; ++i) {                                                           \
                a[i] = _mm256_maskload_pd(wa + i * n + k, atoms);                                   \
            }                                                                                       \
            add_group(rows, centre, _mm256_maskload_pd(w + k, atoms), a, acc, wb, &wbb, CENTRED);   \
        }                                                                                           \
        for (int j = 0; j < 3; ++j) {                                                               \
            for (int i = 0; i < 3; ++i) {                                                           \
                s[3 * j + i] = lane_sum(acc[j][i]);                                                 \
            }                                                                                       \
            sum_wb[j] = lane_sum(wb[j]);                                                            \
        }                                                                                           \
        *sum_wbb = lane_sum(wbb);                                                                   \
    }

FRAME_SUMS_AVX2(frame_sums_avx2, double, load_rows_f64, load_rows_f64_masked, 1)
FRAME_SUMS_AVX2(frame_sums_single_avx2, float, load_rows_f32, load_rows_f32_masked, 1)
FRAME_SUMS_AVX2(frame_sums_precentred_avx2, double, load_rows_f64, load_rows_f64_masked, 0)
FRAME_SUMS_AVX2(frame_sums_single_precentred_avx2, float, load_rows_f32, load_rows_f32_masked, 0)

/* Whether this call runs the AVX2 path: at level 4 too, where AVX-512 was
 * measured slower for float32 frames (README, x86-64-v4). */
static int
use_avx2(int simd_level)
{
    return chemlib_simd_path(simd_level) >= CHEMLIB_SIMD_X86_64_V3;
}
#endif

/* Called from Fortran (bind(C) in superposition.f90), once per frame;
 * precentred: the caller centred the frames (frame_pass_portable). */
void
chemlib_frame_sums(int64_t n, const double *wa, const double *ca, const double *b,
                   const double *w, double *s, double *sum_wb, double *sum_wbb, int precentred,
                   int simd_level)
{
#if CHEMLIB_DISPATCH_X86
    if (use_avx2(simd_level)) {
        (precentred ? frame_sums_precentred_avx2 : frame_sums_avx2)(n, wa, ca, b, w, s, sum_wb,
                                                                    sum_wbb);
        return;
    }
#else
    (void)simd_level;
#endif
    frame_sums_baseline(n, wa, ca, b, w, s, sum_wb, sum_wbb, precentred);
}

/* The same for a float32 frame: the AVX2 path reads it as it is; the baseline
 * path widens it into wide (3n doubles, the caller's) first. */
void
chemlib_frame_sums_single(int64_t n, const double *wa, const double *ca, const float *b,
                          const double *w, double *s, double *sum_wb, double *sum_wbb,
                          double *wide, int precentred, int simd_level)
{
#if CHEMLIB_DISPATCH_X86
    if (use_avx2(simd_level)) {
        (precentred ? frame_sums_single_precentred_avx2 : frame_sums_single_avx2)(
            n, wa, ca, b, w, s, sum_wb, sum_wbb);
        return;
    }
#else
    (void)simd_level;
#endif
    for (int64_t i = 0; i < 3 * n; ++i) {
        wide[i] = b[i];
    }
    frame_sums_baseline(n, wa, ca, wide, w, s, sum_wb, sum_wbb, precentred);
}
