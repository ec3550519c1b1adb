! Wrapping coordinates into the primary unit cell.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Coordinates arrive as (3, n), the transpose of NumPy's (n, 3).
!
! Safe without the GIL (free-threaded Python): no saved or module state; every
! value lives in the call's own locals.

! Move each position by whole box vectors so that its fractional coordinates
! lie in [0, 1). Subtracting integer multiples of the box vectors from the
! original position (rather than rebuilding it from fractions) keeps every
! digit: an orthorhombic wrap is exact. The loop body is written out (no
! calls, no branches) so that it vectorises; floors use minimum_image.f90's
! rounding trick, stepped down where it rounded up.
subroutine wrap(coords, h, hinv, n, wrapped)
    use chemlib_minimum_image, only: dp, ROUNDING_SHIFT, MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: wrapped(3, n)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords) :: n = shape(coords, 1)
    real(dp) :: s(3), r(3), w(3)
    integer(8) :: i
    integer :: k

    !$omp parallel do schedule(static) private(s, r, w, k) if(n >= MIN_PARALLEL_WORK)
    do i = 1, n
        do k = 1, 3
            s(k) = hinv(k, 1) * coords(1, i) + hinv(k, 2) * coords(2, i) + hinv(k, 3) * coords(3, i)
            r(k) = (s(k) + ROUNDING_SHIFT) - ROUNDING_SHIFT
            s(k) = merge(r(k) - 1, r(k), r(k) > s(k))
        end do
        do k = 1, 3
            w(k) = coords(k, i) - (h(k, 1) * s(1) + h(k, 2) * s(2) + h(k, 3) * s(3))
        end do
        ! A position a rounding error outside lands exactly on the far face
        ! (fraction 1) or just below 0: one more whole vector settles it.
        do k = 1, 3
            s(k) = hinv(k, 1) * w(1) + hinv(k, 2) * w(2) + hinv(k, 3) * w(3)
            s(k) = merge(-1.0_dp, merge(1.0_dp, 0.0_dp, s(k) < 0), s(k) >= 1)
        end do
        do k = 1, 3
            wrapped(k, i) = w(k) + h(k, 1) * s(1) + h(k, 2) * s(2) + h(k, 3) * s(3)
        end do
    end do
    !$omp end parallel do
end subroutine wrap
