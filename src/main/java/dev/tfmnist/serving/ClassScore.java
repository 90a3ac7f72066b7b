package dev.tfmnist.serving;

/** A class index and its probability. */
public record ClassScore(int classIndex, float probability) {}
