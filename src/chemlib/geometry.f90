! Distances, angles and dihedrals between corresponding atoms of coordinate
! sets, with the minimum-image convention when a cell is given.
!
! Dummy arguments are declared with literal kinds (real(8), integer(8))
! because f2py reads kinds textually; chemlib_minimum_image's dp is the same.
! Coordinates arrive as (3, n): the transpose of NumPy's C-ordered (n, 3), so
! no copy is made. Every kernel releases the GIL (f2py `threadsafe`); rows are
! processed in blocks (geometry_blocks.f90), blocks in parallel with OpenMP.
! non_finite counts the blocks that met a NaN or infinity, which screens the
! input for geometry.py to raise on without a pass of its own (see bond_block).
! Each kernel has a float32 twin, *_single: the same block loop over real(4)
! coordinates, which its blocks widen in cache (f2py wraps one kind per
! subroutine, and Fortran has no generics over kinds).
!
! Safe without the GIL (free-threaded Python): no saved or module state; the
! cell and the block buffers are locals of each call (-frecursive: on the stack).

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

subroutine calc_bonds(coords1, coords2, h, hinv, n, bonds, non_finite)
    use chemlib_minimum_image, only: periodic_cell, make_cell, MIN_PARALLEL_WORK
    use chemlib_geometry_blocks, only: BLOCK_SIZE, bond_block
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords1(3, n), coords2(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: bonds(n)
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    integer(8) :: first, last

    cell = make_cell(h, hinv)
    non_finite = 0
    !$omp parallel do schedule(static) private(last) reduction(+:non_finite) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, BLOCK_SIZE
        last = min(n, first + BLOCK_SIZE - 1)
        call bond_block(cell, coords1(:, first:last), coords2(:, first:last), bonds(first:last), non_finite)
    end do
    !$omp end parallel do
end subroutine calc_bonds

! calc_bonds of float32 coordinates (widened a block at a time, in cache).
subroutine calc_bonds_single(coords1, coords2, h, hinv, n, bonds, non_finite)
    use chemlib_minimum_image, only: periodic_cell, make_cell, MIN_PARALLEL_WORK
    use chemlib_geometry_blocks, only: BLOCK_SIZE, bond_block_single
    implicit none
    integer(8), intent(in) :: n
    real(4), intent(in) :: coords1(3, n), coords2(3, n)
    real(8), intent(in) :: h(3, 3), hinv(3, 3)
    real(8), intent(out) :: bonds(n)
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    integer(8) :: first, last

    cell = make_cell(h, hinv)
    non_finite = 0
    !$omp parallel do schedule(static) private(last) reduction(+:non_finite) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, BLOCK_SIZE
        last = min(n, first + BLOCK_SIZE - 1)
        call bond_block_single(cell, coords1(:, first:last), coords2(:, first:last), bonds(first:last), non_finite)
    end do
    !$omp end parallel do
end subroutine calc_bonds_single

! Angle at coords2 between the bonds to coords1 and coords3, in radians [0, pi].
! A zero-length bond (repeated atoms) gives 0.
subroutine calc_angles(coords1, coords2, coords3, h, hinv, n, angles, non_finite)
    use chemlib_minimum_image, only: periodic_cell, make_cell, MIN_PARALLEL_WORK
    use chemlib_geometry_blocks, only: BLOCK_SIZE, angle_block
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords1(3, n), coords2(3, n), coords3(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(out) :: angles(n)
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    integer(8) :: first, last

    cell = make_cell(h, hinv)
    non_finite = 0
    !$omp parallel do schedule(static) private(last) reduction(+:non_finite) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, BLOCK_SIZE
        last = min(n, first + BLOCK_SIZE - 1)
        call angle_block(cell, coords1(:, first:last), coords2(:, first:last), &
                         coords3(:, first:last), angles(first:last), non_finite)
    end do
    !$omp end parallel do
end subroutine calc_angles

! calc_angles of float32 coordinates (widened a block at a time, in cache).
subroutine calc_angles_single(coords1, coords2, coords3, h, hinv, n, angles, non_finite)
    use chemlib_minimum_image, only: periodic_cell, make_cell, MIN_PARALLEL_WORK
    use chemlib_geometry_blocks, only: BLOCK_SIZE, angle_block_single
    implicit none
    integer(8), intent(in) :: n
    real(4), intent(in) :: coords1(3, n), coords2(3, n), coords3(3, n)
    real(8), intent(in) :: h(3, 3), hinv(3, 3)
    real(8), intent(out) :: angles(n)
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    integer(8) :: first, last

    cell = make_cell(h, hinv)
    non_finite = 0
    !$omp parallel do schedule(static) private(last) reduction(+:non_finite) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, BLOCK_SIZE
        last = min(n, first + BLOCK_SIZE - 1)
        call angle_block_single(cell, coords1(:, first:last), coords2(:, first:last), &
                         coords3(:, first:last), angles(first:last), non_finite)
    end do
    !$omp end parallel do
end subroutine calc_angles_single

! Dihedral angle of coords1-coords2-coords3-coords4 in radians (-pi, pi], with
! the IUPAC sign (clockwise looking along coords2 -> coords3 is positive).
! Collinear atoms (an undefined plane) give 0.
subroutine calc_dihedrals(coords1, coords2, coords3, coords4, h, hinv, n, dihedrals, non_finite)
    use chemlib_minimum_image, only: periodic_cell, make_cell, MIN_PARALLEL_WORK
    use chemlib_geometry_blocks, only: BLOCK_SIZE, dihedral_block
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords1(3, n), coords2(3, n), coords3(3, n), coords4(3, n)
    real(8), intent(in) :: h(3, 3), hinv(3, 3)
    real(8), intent(out) :: dihedrals(n)
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    integer(8) :: first, last

    cell = make_cell(h, hinv)
    non_finite = 0
    !$omp parallel do schedule(static) private(last) reduction(+:non_finite) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, BLOCK_SIZE
        last = min(n, first + BLOCK_SIZE - 1)
        call dihedral_block(cell, coords1(:, first:last), coords2(:, first:last), &
                            coords3(:, first:last), coords4(:, first:last), dihedrals(first:last), &
                            non_finite)
    end do
    !$omp end parallel do
end subroutine calc_dihedrals

! calc_dihedrals of float32 coordinates (widened a block at a time, in cache).
subroutine calc_dihedrals_single(coords1, coords2, coords3, coords4, h, hinv, n, dihedrals, non_finite)
    use chemlib_minimum_image, only: periodic_cell, make_cell, MIN_PARALLEL_WORK
    use chemlib_geometry_blocks, only: BLOCK_SIZE, dihedral_block_single
    implicit none
    integer(8), intent(in) :: n
    real(4), intent(in) :: coords1(3, n), coords2(3, n), coords3(3, n), coords4(3, n)
    real(8), intent(in) :: h(3, 3), hinv(3, 3)
    real(8), intent(out) :: dihedrals(n)
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords1) :: n = shape(coords1, 1)
    type(periodic_cell) :: cell
    integer(8) :: first, last

    cell = make_cell(h, hinv)
    non_finite = 0
    !$omp parallel do schedule(static) private(last) reduction(+:non_finite) if(n >= MIN_PARALLEL_WORK)
    do first = 1, n, BLOCK_SIZE
        last = min(n, first + BLOCK_SIZE - 1)
        call dihedral_block_single(cell, coords1(:, first:last), coords2(:, first:last), &
                            coords3(:, first:last), coords4(:, first:last), dihedrals(first:last), &
                            non_finite)
    end do
    !$omp end parallel do
end subroutine calc_dihedrals_single
