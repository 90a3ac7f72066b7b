/**
 * Loads any SavedModel (TrainMnist's, TF1 {@code SavedModelBuilder}/{@code simple_save}, TF2
 * {@code tf.saved_model.save}/Keras) and runs its signatures from plain Java.
 *
 * <p>{@link dev.tfmnist.loader.LoadedModel} owns the native bundle and is loaded once; a {@link
 * dev.tfmnist.loader.Predictor} runs one signature and is cheap to make; {@link
 * dev.tfmnist.loader.TensorValue} carries inputs and outputs as Java arrays, so callers never
 * hold a native tensor unless they ask for one. {@link dev.tfmnist.loader.ImageClassifier} finds
 * the image input and the class scores of any image classifier.
 *
 * <pre>{@code
 * try (LoadedModel model = LoadedModel.load(Path.of("savedmodel/java"))) {  // closed once
 *   Predictor predictor = model.predictor();            // serving_default; cheap
 *   float[] pixels = new float[784];                    // one 28x28 image, row-major, in [0, 1]
 *   Prediction p = predictor.predict(TensorValue.ofFloats(Shape.of(1, 784), pixels));
 *   long digit = p.output("classes").longs()[0];
 *   float[] probabilities = p.output("probabilities").floats();
 *
 *   ImageClassifier classifier = ImageClassifier.builder(model).build();  // finds in and out
 *   Classification c = classifier.classify(pixels);
 *   int best = c.predictedClass();
 *   List<ClassScore> top3 = c.topK(3);                  // the 3 likeliest, with probabilities
 * }
 * }</pre>
 *
 * <p>{@link dev.tfmnist.loader.LoadedModel#loader(java.nio.file.Path)} chooses the tags, a version
 * of a base directory, or the session's configuration and device ({@link
 * dev.tfmnist.device.DevicePlan}). Model directories that cannot be loaded throw the checked
 * {@link dev.tfmnist.loader.ModelLoadException}; inputs that do not fit a signature throw {@link
 * dev.tfmnist.loader.InvalidInputException} before anything reaches TensorFlow, and failures
 * inside TensorFlow {@link dev.tfmnist.loader.PredictionException}.
 *
 * <p>This package and its subpackages depend on the JDK and TensorFlow's core API (with its
 * ndarray, protos and JavaCPP) only: never on the training code, on tensorflow-framework, nor on a
 * JSON or HTTP library (the build and a test of the compiled classes check it), so it can be
 * lifted out as a module of its own. TensorFlow's natives are the application's choice:
 * tensorflow-core-platform for the CPU, or tensorflow-core-native with the classifier {@code
 * linux-x86_64-gpu} for NVIDIA GPUs.
 */
package dev.tfmnist.loader;
