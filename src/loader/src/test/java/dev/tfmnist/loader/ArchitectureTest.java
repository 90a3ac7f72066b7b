package dev.tfmnist.loader;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.tfmnist.device.DevicePlan;
import org.junit.jupiter.api.Test;

/**
 * The loader module's compiled classes reach the JDK and TensorFlow's core API (with its ndarray,
 * protos and JavaCPP) and nothing else: no other module of this project, no tensorflow-framework,
 * no JSON or HTTP library. Its POM bans such libraries from its dependencies; this rule catches a
 * class that would use one reaching it some other way.
 */
class ArchitectureTest {
  private static final JavaClasses LOADER = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.tfmnist.loader", "dev.tfmnist.device");

  @Test
  void theLoadersClassesWereImported() {
    assertTrue(LOADER.contain(LoadedModel.class), "nothing imported: the rule would pass vacuously");
    assertTrue(LOADER.contain(DevicePlan.class));
  }

  @Test
  void theLoaderDependsOnlyOnTheJdkAndTensorFlowsCoreApi() {
    classes().should().onlyDependOnClassesThat().resideInAnyPackage(
            "dev.tfmnist.loader..", "dev.tfmnist.device..",
            "java..", "javax.imageio..",
            "org.tensorflow", "org.tensorflow.ndarray..", "org.tensorflow.proto..",
            "org.tensorflow.types..", "org.tensorflow.exceptions..",
            "org.tensorflow.internal..", "org.tensorflow.op..", "com.google.protobuf..",
            "org.bytedeco.javacpp..")
        .check(LOADER);
  }
}
