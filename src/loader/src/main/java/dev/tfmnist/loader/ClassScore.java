package dev.tfmnist.loader;

/** A class index and its probability. */
public record ClassScore(int classIndex, float probability) {}
