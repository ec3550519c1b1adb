/*
 * The loop of wrap (periodic.f90): move each position by whole box vectors
 * so that its fractional coordinates lie in [0, 1). Positions are held as
 * (x, y, z) triples, so each vector lane takes one atom and the loads
 * interleave three rows; AVX-512's two-source permutes and 32 registers do
 * that far better than AVX2's. So the body below is compiled three times and
 * the CPU picks at run time, as for triclinic_distances.c (which says why
 * chemlib dispatches to AVX-512 instead of shipping a level-4 package):
 *   - the x86-64 baseline: SSE2, no fused multiply-add;
 *   - AVX2 with FMA (x86-64-v3);
 *   - AVX-512 (the x86-64-v4 set).
 * One thread, a million atoms in a triclinic cell, a Sapphire Rapids Xeon:
 * 6.6, 3.9 and 2.1 ms (10.3, 8.7 and 2.3 with the full 3x3 products of the
 * Fortran loop this replaces).
 *
 * The wide paths fuse multiply-adds (this file is built without
 * -ffp-contract=off, meson.build) and round differently from the baseline
 * path: each path is held to the fold error against exact references
 * (tests/kernels/test_precision.py), and an orthorhombic wrap to [0, L)
 * exactly (tests/kernels/test_periodic.py).
 */
#include <stdint.h>

#include "periodic_cell.h"
#include "simd_dispatch.h"

/* floor(f) by the rounding trick, stepped down where it rounded up. */
static inline CHEMLIB_ALWAYS_INLINE double
floor_of(double f)
{
    const double r = chemlib_round_small(f);
    return r > f ? r - 1.0 : r;
}

/* The whole vectors that bring a fraction a rounding error outside [0, 1)
 * back: the far face (fraction 1) or just below 0. */
static inline CHEMLIB_ALWAYS_INLINE double
settling_step(double f)
{
    return f >= 1.0 ? -1.0 : (f < 0.0 ? 1.0 : 0.0);
}

/* w, a rounding error outside [0, edge) or inside it, moved into it exactly:
 * w - edge is exact there (Sterbenz), and w + edge may round up to edge. */
static inline CHEMLIB_ALWAYS_INLINE double
settled_into_edge(double w, double edge)
{
    w = w >= edge ? w - edge : (w < 0.0 ? w + edge : w);
    return w >= edge ? w - edge : w;
}

/*
 * coords, wrapped: n positions, (3, n) in Fortran order; h: the box vectors
 * as columns, hinv its inverse, both 3x3 in Fortran order and upper
 * triangular as chemlib builds them (a along x, b in the xy plane;
 * chemlib/_box.py), so the zeros below the diagonal are never read: a third
 * fewer products, and fewer constants to hold in registers. Subtracting
 * whole box vectors from the original position, rather than rebuilding it
 * from its fractions, keeps every digit. No calls and no branches, so that
 * it vectorises.
 *
 * orthorhombic (a constant in each caller): the fractions are x/ax, y/by,
 * z/cz, so the last step compares positions with the edges, exactly, and
 * the result lies in [0, L) whatever the rounding of the fractions (which
 * can leave a position of exactly L: 49 * fl(1/49) < 1). In a triclinic
 * cell the faces are not along the axes, and the fractions decide, within
 * their rounding.
 */
static inline CHEMLIB_ALWAYS_INLINE void
wrap_positions(const double *restrict coords, const double *restrict h,
               const double *restrict hinv, int64_t n, double *restrict wrapped,
               const int orthorhombic)
{
    const double ax = h[0], bx = h[3], by = h[4], cx = h[6], cy = h[7], cz = h[8];
    const double ia = hinv[0], iab = hinv[3], ib = hinv[4], iac = hinv[6], ibc = hinv[7],
                 ic = hinv[8];
    for (int64_t i = 0; i < n; ++i) {
        const double x = coords[3 * i], y = coords[3 * i + 1], z = coords[3 * i + 2];
        if (orthorhombic) {
            wrapped[3 * i] = settled_into_edge(x - ax * floor_of(ia * x), ax);
            wrapped[3 * i + 1] = settled_into_edge(y - by * floor_of(ib * y), by);
            wrapped[3 * i + 2] = settled_into_edge(z - cz * floor_of(ic * z), cz);
            continue;
        }
        const double sa = floor_of(ia * x + iab * y + iac * z);
        const double sb = floor_of(ib * y + ibc * z), sc = floor_of(ic * z);
        const double wx = x - (ax * sa + bx * sb + cx * sc);
        const double wy = y - (by * sb + cy * sc), wz = z - cz * sc;
        const double ta = settling_step(ia * wx + iab * wy + iac * wz);
        const double tb = settling_step(ib * wy + ibc * wz), tc = settling_step(ic * wz);
        wrapped[3 * i] = wx + ax * ta + bx * tb + cx * tc;
        wrapped[3 * i + 1] = wy + by * tb + cy * tc;
        wrapped[3 * i + 2] = wz + cz * tc;
    }
}

#define WRAP_POSITIONS(NAME, ATTRIBUTES)                                                           \
    ATTRIBUTES static void NAME(const double *coords, const double *h, const double *hinv,          \
                                int64_t n, double *wrapped)                                         \
    {                                                                                               \
        if (h[3] == 0.0 && h[6] == 0.0 && h[7] == 0.0) {                                            \
            wrap_positions(coords, h, hinv, n, wrapped, 1);                                         \
        } else {                                                                                    \
            wrap_positions(coords, h, hinv, n, wrapped, 0);                                         \
        }                                                                                           \
    }

WRAP_POSITIONS(wrap_positions_baseline, )
#if CHEMLIB_DISPATCH_X86
WRAP_POSITIONS(wrap_positions_avx2, CHEMLIB_TARGET_X86_64_V3)
WRAP_POSITIONS(wrap_positions_avx512, CHEMLIB_TARGET_X86_64_V4)
#endif

/* Called from Fortran (bind(C) in periodic.f90), once per block of atoms. */
void
chemlib_wrap_positions(const double *coords, const double *h, const double *hinv, int64_t n,
                       double *wrapped, int simd_level)
{
    CHEMLIB_CALL_PATH(simd_level, wrap_positions, (coords, h, hinv, n, wrapped));
}
