! Mass-weighted properties of a group of atoms: centre of mass (BLAS dgemv),
! second moments about it (BLAS dsyrk), and the principal axes of the inertia
! tensor (LAPACK dsyev). The library calls are the natural level-2/3 form of
! these reductions over atoms, and they use whatever BLAS the environment
! provides (threaded when it is).
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Coordinates arrive as (3, n), the transpose of NumPy's (n, 3).
!
! Safe without the GIL (free-threaded Python): no saved or module state; the
! scaled copy is allocated per call. dgemv/dsyrk/dsyev are reentrant: reference
! LAPACK keeps no SAVEd state since 3.x (dlamch is intrinsics) and OpenBLAS
! guards its own buffers for concurrent callers.

subroutine center_of_mass(coords, masses, n, com)
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords(3, n), masses(n)
    real(8), intent(out) :: com(3)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords) :: n = shape(coords, 1)
    external :: dgemv
    ! com = coords . masses / M; BLAS takes 32-bit sizes (LP64).
    call dgemv('N', 3, int(n), 1 / sum(masses), coords, 3, masses, 1, 0.0d0, com, 1)
end subroutine center_of_mass

! Second moments about the centre of mass, S = sum m (r - com)(r - com)^T, as
! a symmetric rank-n update of the sqrt(m)-scaled, centred coordinates.
subroutine second_moments(coords, masses, n, com, moments)
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: coords(3, n), masses(n)
    real(8), intent(out) :: com(3), moments(3, 3)
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(coords) :: n = shape(coords, 1)
    real(8), allocatable :: scaled(:, :)
    integer(8) :: k
    external :: dsyrk

    call center_of_mass(coords, masses, n, com)
    allocate (scaled(3, n))
    do k = 1, n
        scaled(:, k) = sqrt(masses(k)) * (coords(:, k) - com)
    end do
    moments = 0
    call dsyrk('U', 'N', 3, int(n), 1.0d0, scaled, 3, 0.0d0, moments, 3)
    moments(2, 1) = moments(1, 2)
    moments(3, 1) = moments(1, 3)
    moments(3, 2) = moments(2, 3)
end subroutine second_moments

! Eigen-decomposition of a symmetric 3x3 inertia tensor: axes(i, :) is the
! axis of moments(i), sorted by descending moment. info is dsyev's.
subroutine principal_axes(inertia, axes, moments, info)
    implicit none
    real(8), intent(in) :: inertia(3, 3)
    real(8), intent(out) :: axes(3, 3), moments(3)
    integer, intent(out) :: info
    !f2py threadsafe
    real(8) :: vectors(3, 3), eigenvalues(3), work(64)
    integer :: i
    external :: dsyev

    vectors = inertia
    call dsyev('V', 'U', 3, vectors, 3, eigenvalues, work, size(work), info)
    do i = 1, 3
        ! dsyev sorts ascending; rows here run from the largest moment down.
        moments(i) = eigenvalues(4 - i)
        axes(i, :) = vectors(:, 4 - i)
    end do
end subroutine principal_axes
