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
 * <p>This package and its subpackages depend on TensorFlow's core API, ndarray and protos, the JDK,
 * Jackson and Undertow only: never on the training code nor on tensorflow-framework (a test checks
 * the compiled classes), so it can be lifted out as a module of its own.
 */
package dev.tfmnist.loader;
