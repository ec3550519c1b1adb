! Wrapping coordinates into the primary unit cell.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Coordinates arrive as (3, n), the transpose of NumPy's (n, 3).

! Move each position by whole box vectors so that its fractional coordinates
! lie in [0, 1). Subtracting integer multiples of the box vectors from the
! original position (rather than rebuilding it from fractions) keeps every
! digit: an orthorhombic wrap is exact.
subroutine wrap(coords, h, hinv, n, wrapped)
    use chemlib_kernel_math, only: MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: wrapped(3, n)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords) :: n = shape(coords, 1)
    real(8) :: s(3)
    integer(8) :: i
    integer :: k

    !$omp parallel do schedule(static) private(s, k) if(n >= MIN_PARALLEL_WORK)
    do i = 1, n
        wrapped(:, i) = coords(:, i) - matmul(h, floor(matmul(hinv, coords(:, i))) * 1.0d0)
        ! A position a rounding error outside lands exactly on the far face
        ! (fraction 1) or just below 0: one more whole vector settles it.
        s = matmul(hinv, wrapped(:, i))
        do k = 1, 3
            if (s(k) >= 1) wrapped(:, i) = wrapped(:, i) - h(:, k)
            if (s(k) < 0) wrapped(:, i) = wrapped(:, i) + h(:, k)
        end do
    end do
    !$omp end parallel do
end subroutine wrap
