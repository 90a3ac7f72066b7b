package dev.tfmnist.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tfmnist.model.Architecture.Padding;
import dev.tfmnist.model.Architecture.Pooling;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;

/**
 * The summary's figures against values computed by hand from the layer shapes (the arithmetic is
 * spelled out beside each), for SAME and VALID padding and both poolings.
 */
class ModelSummaryTest {

  private static ModelSummary summary(Pooling pooling, Padding padding) {
    var architecture = new Architecture(pooling, padding);
    try (var graph = new Graph()) {
      new MnistCnn(graph, 1, architecture);
      return ModelSummary.of(graph, architecture);
    }
  }

  @Test
  void sameKeepsTheOriginalsShapesAndParameters() {
    var summary = summary(Pooling.MAX, Padding.SAME);
    assertShapes(summary, List.of(new long[] {-1, 28, 28, 32}, new long[] {-1, 14, 14, 32},
        new long[] {-1, 14, 14, 64}, new long[] {-1, 7, 7, 64}, new long[] {-1, 3136}));
    assertEquals(5 * 5 * 1 * 32 + 32, parameters(summary, "conv1"));              // 832
    assertEquals(5 * 5 * 32 * 64 + 64, parameters(summary, "conv2"));             // 51,264
    assertEquals(7 * 7 * 64 * 1024 + 1024, parameters(summary, "fc1"));           // 3,212,288
    assertEquals(1024 * 10 + 10, parameters(summary, "fc2"));                     // 10,250
    assertEquals(3_274_634, summary.parameters());
  }

  @Test
  void validShrinksEachSideAndFc1() {
    var summary = summary(Pooling.MAX, Padding.VALID);
    // 28 - 5 + 1 = 24, 24 / 2 = 12, 12 - 5 + 1 = 8, 8 / 2 = 4
    assertShapes(summary, List.of(new long[] {-1, 24, 24, 32}, new long[] {-1, 12, 12, 32},
        new long[] {-1, 8, 8, 64}, new long[] {-1, 4, 4, 64}, new long[] {-1, 1024}));
    assertEquals(4 * 4 * 64 * 1024 + 1024, parameters(summary, "fc1"));           // 1,049,600
    assertEquals(832 + 51_264 + 1_049_600 + 10_250, summary.parameters());
    assertEquals(1_111_946, summary.parameters());
  }

  @Test
  void theWeightCountsOfTheArticlesArgumentForSame() {
    var conv = summary(Pooling.MAX, Padding.SAME).convolutions();
    // conv1: 28x28x1 = 784 inputs, 28x28x32 = 25,088 output units, a 5x5x1 window each
    assertWeights(conv.get(0), 784L * 25_088, 25_088L * 25, 25L * 32);
    assertEquals(19_668_992, conv.get(0).fullyConnected());
    assertEquals(627_200, conv.get(0).locallyConnected());
    assertEquals(800, conv.get(0).sharedFilters());
    // conv2: 14x14x32 = 6,272 inputs, 14x14x64 = 12,544 units, a 5x5x32 = 800 window each
    assertWeights(conv.get(1), 6_272L * 12_544, 12_544L * 800, 800L * 64);
    assertEquals(78_675_968, conv.get(1).fullyConnected());
    assertEquals(10_035_200, conv.get(1).locallyConnected());
    assertEquals(51_200, conv.get(1).sharedFilters());
  }

  @Test
  void theWeightCountsOfTheArticlesArgumentForValid() {
    var conv = summary(Pooling.MEAN, Padding.VALID).convolutions();
    // conv1: 784 inputs, 24x24x32 = 18,432 units; conv2: 12x12x32 = 4,608 inputs, 8x8x64 = 4,096
    assertWeights(conv.get(0), 784L * 18_432, 18_432L * 25, 800);
    assertEquals(14_450_688, conv.get(0).fullyConnected());
    assertWeights(conv.get(1), 4_608L * 4_096, 4_096L * 800, 51_200);
    assertEquals(18_874_368, conv.get(1).fullyConnected());
    assertEquals(3_276_800, conv.get(1).locallyConnected());
    // the shared filters are the conv layers' own weights, whatever the padding
    assertEquals(5 * 5 * 32 * 64, conv.get(1).sharedFilters());
  }

  @Test
  void tablesNameThePoolingAndShowTheFigures() {
    var summary = summary(Pooling.MEAN, Padding.VALID);
    String table = summary.table();
    assertTrue(table.startsWith("Model: \"mnist_cnn\" (mean pooling, VALID padding)"), table);
    assertTrue(table.contains("pool1 (AveragePooling2D)    (None, 12, 12, 32)"), table);
    assertTrue(table.contains("Total params: 1,111,946"), table);
    String argument = summary.convolutionTable();
    assertTrue(argument.contains(
        " conv2  12x12x32 -> 8x8x64              18,874,368           3,276,800          51,200"),
        argument);
    assertTrue(summary(Pooling.MAX, Padding.SAME).table().contains("pool2 (MaxPooling2D)"));
  }

  private static void assertShapes(ModelSummary summary, List<long[]> expected) {
    var names = List.of("conv1", "pool1", "conv2", "pool2", "flatten");
    for (int i = 0; i < names.size(); i++) {
      assertArrayEquals(expected.get(i), row(summary, names.get(i)).outputShape(), names.get(i));
    }
  }

  private static void assertWeights(ModelSummary.ConvWeights conv, long fullyConnected,
      long locallyConnected, long shared) {
    assertEquals(fullyConnected, conv.fullyConnected(), conv.layer() + " fully connected");
    assertEquals(locallyConnected, conv.locallyConnected(), conv.layer() + " locally connected");
    assertEquals(shared, conv.sharedFilters(), conv.layer() + " shared filters");
  }

  private static long parameters(ModelSummary summary, String layer) {
    return row(summary, layer).parameters();
  }

  private static ModelSummary.Row row(ModelSummary summary, String layer) {
    return summary.rows().stream().filter(r -> r.layer().equals(layer)).findFirst().orElseThrow();
  }
}
