package dev.tfmnist.server;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's layers as its code map draws them: the core and model management know no
 * transport; Undertow and HTTP statuses live in server.http, gRPC in server.grpc.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tfmnist.server");
    // the rules below would pass on nothing: make sure the classes they speak of are there
    assertTrue(main.contain("dev.tfmnist.server.grpc.GrpcApi")
        && main.contain("dev.tfmnist.server.http.RestApi")
        && main.contain("dev.tfmnist.server.InferenceService"));
  }

  @Test
  void onlyTheHttpPackageUsesUndertow() {
    noClasses().that().resideOutsideOfPackage("dev.tfmnist.server.http..")
        .should().dependOnClassesThat().resideInAnyPackage("io.undertow..")
        .check(main);
  }

  @Test
  void onlyTheGrpcPackageUsesGrpc() {
    noClasses().that().resideOutsideOfPackage("dev.tfmnist.server.grpc..")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..")
        .check(main);
  }

  @Test
  void theCoreAndModelsKnowNoFrontEnd() {
    noClasses().that().resideInAnyPackage("dev.tfmnist.server", "dev.tfmnist.server.models",
            "dev.tfmnist.server.batching", "dev.tfmnist.server.api")
        .and().doNotHaveSimpleName("ModelServer")  // assembles the front ends
        .should().dependOnClassesThat().resideInAnyPackage("dev.tfmnist.server.http..",
            "dev.tfmnist.server.grpc..", "com.fasterxml.jackson..")
        .check(main);
  }
}
