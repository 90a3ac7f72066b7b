package dev.tfmnist.data;

/**
 * Where a {@link BatchSampler} stands, small enough to keep in a checkpoint. The permutation is not
 * stored: it is a function of {@code seed} and the number of shuffles so far, so {@link
 * BatchSampler#restore} recomputes it.
 *
 * @param size items per epoch
 * @param seed the sampler's seed
 * @param epoch completed epochs (TF1's {@code epochs_completed})
 * @param position index within the current epoch (TF1's {@code index_in_epoch}), 0..size
 */
public record BatchSamplerState(int size, long seed, int epoch, int position) {
  public BatchSamplerState {
    if (size < 1) {
      throw new IllegalArgumentException("size " + size + ", expected at least 1");
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch " + epoch + ", expected 0 or more");
    }
    if (position < 0 || position > size) {
      throw new IllegalArgumentException("position " + position + ", expected 0.." + size);
    }
  }
}
