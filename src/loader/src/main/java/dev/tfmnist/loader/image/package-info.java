/**
 * Image files as grayscale pixels for image classifiers: {@link
 * dev.tfmnist.loader.image.ImageFiles} reads PNG, JPEG and PGM files ({@link
 * dev.tfmnist.loader.image.PgmReader}) as {@link dev.tfmnist.loader.image.GrayImage}s, and {@link
 * dev.tfmnist.loader.image.MnistPreprocessor} turns a picture of a digit into a 28x28 MNIST-style
 * image.
 *
 * <pre>{@code
 * GrayImage image = ImageFiles.read(Path.of("digit.png"));
 * float[] pixels = MnistPreprocessor.toMnist(image);   // 784 floats, white on black
 * Classification c = classifier.classify(pixels);      // an ImageClassifier
 * }</pre>
 *
 * <p>These classes use the JDK only (ImageIO for PNG and JPEG), not TensorFlow.
 */
package dev.tfmnist.loader.image;
