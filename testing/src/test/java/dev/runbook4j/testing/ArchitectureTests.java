package dev.runbook4j.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;

/** The test kit drives the engine from outside, as a user would, and says its API status. */
class ArchitectureTests {
  private static final JavaClasses TESTING = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.runbook4j.testing");

  @Test
  void theKitReachesTheEngineOnlyThroughItsApiAndSpi() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.runbook4j.internal..",
        "dev.runbook4j.defaults..")
        .because("what the kit proves must hold for the engine a user builds")
        .check(TESTING);
  }

  @Test
  void publicTopLevelTypesDeclareTheirApiStatus() {
    classes().that().arePublic().and().areTopLevelClasses().and().doNotHaveSimpleName("package-info")
        .should().beAnnotatedWith(API.class).check(TESTING);
  }
}
