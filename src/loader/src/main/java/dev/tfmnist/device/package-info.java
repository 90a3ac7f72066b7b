/**
 * Where TensorFlow runs: the devices it sees, the user's choice between CPU and GPU, and the
 * session configuration that carries it out.
 *
 * <p>{@link dev.tfmnist.device.DevicePlan#resolve(DeviceChoice, boolean, ThreadPools)} lists the
 * devices and turns a {@link dev.tfmnist.device.DeviceChoice} into a plan, failing with {@link
 * dev.tfmnist.device.NoGpuException} when a GPU is required and none is visible; {@link
 * dev.tfmnist.loader.ModelLoader#device(DevicePlan)} loads a model with it. {@link
 * dev.tfmnist.device.ThreadPools} holds TensorFlow's process-wide CPU thread pools, which every
 * session of a program must be given alike.
 *
 * <pre>{@code
 * DevicePlan plan = DevicePlan.resolve(DeviceChoice.parse("auto"), false, new ThreadPools(4, 2));
 * System.out.print(plan.summary());   // e.g. Running on: CPU (TensorFlow 2.18.0, CPU build, float32)
 * LoadedModel model = LoadedModel.loader(dir).device(plan).load();
 * }</pre>
 */
package dev.tfmnist.device;
