package dev.runbook4j.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The command line is a user of the library: it builds engines with the builder, like anyone. */
class ArchitectureTests {
  private static final JavaClasses CLI = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.runbook4j.cli");

  @Test
  void theCommandLineReachesTheEngineOnlyThroughItsApi() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.runbook4j.internal..",
        "dev.runbook4j.defaults..")
        .because("RunbookEngine.builder() is the one way to an engine")
        .check(CLI);
  }

  @Test
  void theCommandLineDoesNotDriveTheTestKitsEngine() {
    noClasses().should().dependOnClassesThat().haveFullyQualifiedName("dev.runbook4j.testing.RunbookTestKit")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.runbook4j.spi.VirtualTime")
        .because("the command line runs on real time: only 'runbook4j test' explores, through FailureExplorer")
        .check(CLI);
  }
}
