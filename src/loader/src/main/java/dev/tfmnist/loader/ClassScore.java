package dev.tfmnist.loader;

/**
 * A class index and its probability, one entry of {@link Classification#topK(int)}.
 *
 * @param classIndex the class, from 0
 * @param probability its probability, in [0, 1]
 */
public record ClassScore(int classIndex, float probability) {}
