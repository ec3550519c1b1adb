! Distances, angles and dihedrals between corresponding atoms of coordinate
! sets, with the minimum-image convention when a cell is given.
!
! Dummy arguments are declared with literal kinds (real(8), integer(8))
! because f2py reads kinds textually; chemlib_kernel_math's dp is the same.
! Coordinates arrive as (3, n): the transpose of NumPy's C-ordered (n, 3), so
! no copy is made. Every kernel releases the GIL (f2py `threadsafe`).

! Euclidean distance of two vectors of equal length (the lesson's kernel).
subroutine calc_distance(a, b, n, distance)
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: a(n), b(n)
    real(8), intent(out) :: distance
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(a) :: n = len(a)
    double precision, external :: dnrm2
    ! BLAS dnrm2 scales as it sums, so neither huge nor tiny components
    ! overflow or underflow (gfortran's norm2 squares them directly).
    distance = dnrm2(int(n), a - b, 1)
end subroutine calc_distance

subroutine calc_bonds(coords1, coords2, h, hinv, n, bonds)
    use chemlib_kernel_math, only: dp, periodic_cell, make_cell, minimum_image, MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords1(3, n), coords2(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: bonds(n)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    real(dp) :: d(3)
    integer(8) :: i

    cell = make_cell(h, hinv)
    !$omp parallel do schedule(static) private(d) if(n >= MIN_PARALLEL_WORK)
    do i = 1, n
        d = coords2(:, i) - coords1(:, i)
        call minimum_image(cell, d)
        bonds(i) = sqrt(d(1)**2 + d(2)**2 + d(3)**2)
    end do
    !$omp end parallel do
end subroutine calc_bonds

! Angle at coords2 between the bonds to coords1 and coords3, in radians [0, pi].
! atan2(|u x v|, u . v) stays accurate near 0 and pi, where acos loses digits.
! A zero-length bond (repeated atoms) gives 0.
subroutine calc_angles(coords1, coords2, coords3, h, hinv, n, angles)
    use chemlib_kernel_math, only: dp, periodic_cell, make_cell, minimum_image, cross_product, &
        MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords1(3, n), coords2(3, n), coords3(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: angles(n)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    real(dp) :: u(3), v(3)
    integer(8) :: i

    cell = make_cell(h, hinv)
    !$omp parallel do schedule(static) private(u, v) if(n >= MIN_PARALLEL_WORK)
    do i = 1, n
        u = coords1(:, i) - coords2(:, i)
        v = coords3(:, i) - coords2(:, i)
        call minimum_image(cell, u)
        call minimum_image(cell, v)
        angles(i) = atan2(norm2(cross_product(u, v)), dot_product(u, v))
    end do
    !$omp end parallel do
end subroutine calc_angles

! Dihedral angle of coords1-coords2-coords3-coords4 in radians (-pi, pi], with
! the IUPAC sign (clockwise looking along coords2 -> coords3 is positive):
! phi = atan2(|b2| b1 . (b2 x b3), (b1 x b2) . (b2 x b3)). Collinear atoms
! (an undefined plane) give 0.
subroutine calc_dihedrals(coords1, coords2, coords3, coords4, h, hinv, n, dihedrals)
    use chemlib_kernel_math, only: dp, periodic_cell, make_cell, minimum_image, cross_product, &
        MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords1(3, n), coords2(3, n), coords3(3, n), coords4(3, n)
    real(8), intent(in) :: h(3, 3), hinv(3, 3)
    real(8), intent(out) :: dihedrals(n)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    real(dp), parameter :: pi = 4 * atan(1.0_dp)
    type(periodic_cell) :: cell
    real(dp) :: b1(3), b2(3), b3(3), n1(3), n2(3), x, y
    integer(8) :: i

    cell = make_cell(h, hinv)
    !$omp parallel do schedule(static) private(b1, b2, b3, n1, n2, x, y) &
    !$omp if(n >= MIN_PARALLEL_WORK)
    do i = 1, n
        b1 = coords2(:, i) - coords1(:, i)
        b2 = coords3(:, i) - coords2(:, i)
        b3 = coords4(:, i) - coords3(:, i)
        call minimum_image(cell, b1)
        call minimum_image(cell, b2)
        call minimum_image(cell, b3)
        n1 = cross_product(b1, b2)
        n2 = cross_product(b2, b3)
        y = norm2(b2) * dot_product(b1, n2)
        x = dot_product(n1, n2)
        dihedrals(i) = atan2(y, x)
        ! atan2(-0.0, x < 0) is -pi, outside (-pi, pi].
        if (dihedrals(i) <= -pi) dihedrals(i) = pi
    end do
    !$omp end parallel do
end subroutine calc_dihedrals
