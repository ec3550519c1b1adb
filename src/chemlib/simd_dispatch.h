/*
 * What the loops dispatched at run time share (point_distances.c,
 * frame_sums.c): the levels a kernel's simd_level argument names, whether
 * this compiler and CPU family can dispatch to AVX2 at all, and the one CPU
 * check.
 */
#ifndef CHEMLIB_SIMD_DISPATCH_H
#define CHEMLIB_SIMD_DISPATCH_H

/* Which loop to run: CHEMLIB_SIMD_AUTO asks the CPU; the others are for the
 * tests that compare the paths, and fall back to the baseline on a CPU
 * without the instructions. Same values as the simd_level arguments of
 * distances.f90 and rmsd.f90. */
enum { CHEMLIB_SIMD_AUTO = 0, CHEMLIB_SIMD_BASELINE = 1, CHEMLIB_SIMD_X86_64_V3 = 3 };

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CHEMLIB_DISPATCH_AVX2 1
#else
#define CHEMLIB_DISPATCH_AVX2 0
#endif

/* For a helper whose constant flag argument must fold away in each caller
 * (frame_sums.c): inlined whatever the compiler's own judgement. */
#if defined(__GNUC__)
#define CHEMLIB_ALWAYS_INLINE __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CHEMLIB_ALWAYS_INLINE __forceinline
#else
#define CHEMLIB_ALWAYS_INLINE
#endif

/* The widest loops this CPU runs: CHEMLIB_SIMD_X86_64_V3 (AVX2 and FMA) or
 * CHEMLIB_SIMD_BASELINE. Defined in point_distances.c. */
int chemlib_best_simd_level(void);

#endif
