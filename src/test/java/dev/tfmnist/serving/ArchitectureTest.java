package dev.tfmnist.serving;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The loader is a separate part: its compiled classes reach TensorFlow's core API, ndarray and
 * protos, the JDK, Jackson and Undertow, and nothing of the training code or
 * tensorflow-framework. A change that breaks this fails here, not in review.
 */
class ArchitectureTest {
  private static final JavaClasses SERVING = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.tfmnist.serving");

  @Test
  void servingClassesWereImported() {
    assertTrue(SERVING.contain(LoadedModel.class), "nothing imported: the rule would pass vacuously");
    assertTrue(SERVING.contain(dev.tfmnist.serving.http.ModelServer.class));
  }

  @Test
  void servingDependsOnNothingOfTheTrainingSide() {
    noClasses().that().resideInAPackage("dev.tfmnist.serving..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.tfmnist.data..", "dev.tfmnist.model..", "dev.tfmnist.training..",
            "dev.tfmnist.cli..", "org.tensorflow.framework..")
        .check(SERVING);
  }

  @Test
  void servingDependsOnlyOnTheAllowedLibraries() {
    classes().that().resideInAPackage("dev.tfmnist.serving..")
        .should().onlyDependOnClassesThat().resideInAnyPackage(
            "dev.tfmnist.serving..", "dev.tfmnist.device..",
            "java..", "javax.imageio..",
            "org.tensorflow", "org.tensorflow.ndarray..", "org.tensorflow.proto..",
            "org.tensorflow.types..", "org.tensorflow.exceptions..", "com.google.protobuf..",
            "com.fasterxml.jackson..", "io.undertow..")
        .check(SERVING);
  }

  @Test
  void theDevicePackageTheLoaderUsesDependsOnNothingOfTheTrainingSideEither() {
    var device = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tfmnist.device");
    assertTrue(device.contain(dev.tfmnist.device.DevicePlan.class));
    noClasses().that().resideInAPackage("dev.tfmnist.device..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.tfmnist.data..", "dev.tfmnist.model..", "dev.tfmnist.training..",
            "dev.tfmnist.cli..", "dev.tfmnist.serving..", "org.tensorflow.framework..")
        .check(device);
  }
}
