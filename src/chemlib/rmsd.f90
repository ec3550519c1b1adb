! Root-mean-square deviation of coordinate sets: plain, centred, or after the
! optimal rotation (QCP with a LAPACK fallback, see superposition.f90), for
! one frame or a whole trajectory (frames in parallel with OpenMP), and the
! rotation matrix itself.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Structures arrive as (3, n), trajectories as (3, n, nframes): the transposes
! of NumPy's C-ordered (n, 3) and (nframes, n, 3), so f2py copies nothing.

! values(f) = weighted RMSD between reference and frames(:, :, f). center
! subtracts each structure's weighted centroid; superposition (which implies
! centring) also minimises over rotations. info is nonzero if LAPACK failed.
subroutine rmsd_trajectory(reference, frames, weights, center, superposition, n, nframes, &
                           values, info)
    use chemlib_kernel_math, only: dp, MIN_PARALLEL_WORK
    use chemlib_superposition, only: weighted_centroid, superposed_msd
    implicit none
    integer(8), intent(in) :: n, nframes
    real(8), intent(in) :: reference(3, n), frames(3, n, nframes), weights(n)
    logical, intent(in) :: center, superposition
    real(8), intent(out) :: values(nframes)
    integer, intent(out) :: info
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(reference) :: n = shape(reference, 1)
    !f2py integer(8), intent(hide), depend(frames) :: nframes = shape(frames, 2)
    real(dp) :: wsum, ref_centroid(3), centroid(3), msd
    integer(8) :: f, k
    integer :: frame_info

    info = 0
    wsum = sum(weights)
    ref_centroid = 0
    if (center .or. superposition) ref_centroid = weighted_centroid(reference, weights, wsum)
    !$omp parallel do schedule(static) private(centroid, msd, frame_info, k) reduction(max:info) &
    !$omp if(n * nframes >= MIN_PARALLEL_WORK)
    do f = 1, nframes
        centroid = 0
        if (center .or. superposition) centroid = weighted_centroid(frames(:, :, f), weights, wsum)
        if (superposition) then
            call superposed_msd(reference, ref_centroid, frames(:, :, f), centroid, weights, wsum, &
                                msd, frame_info)
            info = max(info, abs(frame_info))
        else
            msd = 0
            do k = 1, n
                msd = msd + weights(k) * sum((reference(:, k) - ref_centroid &
                                             - (frames(:, k, f) - centroid))**2)
            end do
            msd = msd / wsum
        end if
        values(f) = sqrt(max(msd, 0.0_dp))
    end do
    !$omp end parallel do
end subroutine rmsd_trajectory

! The rotation that best maps the centred b onto the centred a (a' ~ R b'),
! and the RMSD it leaves. info is LAPACK dsyev's.
subroutine rotation_matrix(a, b, weights, n, rotation, value, info)
    use chemlib_kernel_math, only: dp
    use chemlib_superposition, only: weighted_centroid, pair_sums, optimal_rotation, &
        superposed_msd
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: a(3, n), b(3, n), weights(n)
    real(8), intent(out) :: rotation(3, 3), value
    integer, intent(out) :: info
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(a) :: n = shape(a, 1)
    real(dp) :: wsum, ca(3), cb(3), s(3, 3), e0, lambda, msd

    wsum = sum(weights)
    ca = weighted_centroid(a, weights, wsum)
    cb = weighted_centroid(b, weights, wsum)
    call pair_sums(a, ca, b, cb, weights, s, e0)
    call optimal_rotation(s, rotation, lambda, info)
    if (info /= 0) return
    call superposed_msd(a, ca, b, cb, weights, wsum, msd, info)
    value = sqrt(max(msd, 0.0_dp))
end subroutine rotation_matrix
