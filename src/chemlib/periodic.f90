! Wrapping coordinates into the primary unit cell.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Coordinates arrive as (3, n), the transpose of NumPy's (n, 3).
!
! Safe without the GIL (free-threaded Python): no saved or module state; every
! value lives in the call's own locals.

! Move each position by whole box vectors so that its fractional coordinates
! lie in [0, 1). The loop is C (periodic_wrap.c), compiled for the baseline,
! AVX2 and AVX-512 and chosen at run time; simd_level (optional, 0: the best
! the CPU has) forces a path for the tests (1 baseline, 3 AVX2, 4 AVX-512).
! Threads take blocks of WRAP_BLOCK atoms. h must be upper triangular (a along
! x, b in the xy plane), as chemlib/_box.py builds every cell: the C loop
! never reads the entries below the diagonal.
subroutine wrap(coords, h, hinv, n, wrapped, simd_level)
    use, intrinsic :: iso_c_binding, only: c_double, c_int64_t, c_int
    use chemlib_minimum_image, only: MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: wrapped(3, n)
    integer, intent(in) :: simd_level
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords) :: n = shape(coords, 1)
    !f2py integer, optional, intent(in) :: simd_level = 0
    integer(8), parameter :: WRAP_BLOCK = 4096
    integer(8) :: first
    interface
        subroutine chemlib_wrap_positions(coords, h, hinv, n, wrapped, simd_level) bind(C)
            import :: c_double, c_int64_t, c_int
            real(c_double), intent(in) :: coords(*), h(3, 3), hinv(3, 3)
            integer(c_int64_t), value :: n
            real(c_double), intent(out) :: wrapped(*)
            integer(c_int), value :: simd_level
        end subroutine chemlib_wrap_positions
    end interface

    !$omp parallel do schedule(static) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, WRAP_BLOCK
        call chemlib_wrap_positions(coords(1, first), h, hinv, min(WRAP_BLOCK, n - first + 1), &
                                    wrapped(1, first), simd_level)
    end do
    !$omp end parallel do
end subroutine wrap
