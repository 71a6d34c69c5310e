package dev.runbook4j.dsl;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;

/** The DSL is a thin layer over core's builders: it reaches neither the engine nor a journal, and says its API status. */
class ArchitectureTests {
  private static final JavaClasses DSL = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.runbook4j.dsl");

  @Test
  void theDslUsesOnlyCoresApiAndSpi() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.runbook4j.internal..",
        "dev.runbook4j.defaults..", "dev.runbook4j.journal..", "dev.runbook4j.resilience4j..",
        "dev.runbook4j.failsafe..")
        .because("each keyword calls one builder method; engines and journals are the caller's")
        .check(DSL);
  }

  @Test
  void publicTopLevelTypesDeclareTheirApiStatus() {
    classes().that().arePublic().and().areTopLevelClasses().and().doNotHaveSimpleName("package-info")
        .should().beAnnotatedWith(API.class).check(DSL);
  }
}
