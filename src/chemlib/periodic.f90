! Wrapping coordinates into the primary unit cell.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Coordinates arrive as (3, n), the transpose of NumPy's (n, 3).

! Fractional coordinates folded into [0, 1), back in Cartesian (Angstrom).
subroutine wrap(coords, h, hinv, n, wrapped)
    use chemlib_kernel_math, only: wrap_fractional
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: wrapped(3, n)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords) :: n = shape(coords, 1)
    integer(8) :: i

    !$omp parallel do schedule(static)
    do i = 1, n
        wrapped(:, i) = matmul(h, wrap_fractional(matmul(hinv, coords(:, i))))
    end do
    !$omp end parallel do
end subroutine wrap
