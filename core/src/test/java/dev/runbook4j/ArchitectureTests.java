package dev.runbook4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;

/** Keeps the engine private, the packages acyclic and third-party types out of the public API. */
class ArchitectureTests {
  private static final JavaClasses CORE = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.runbook4j");

  private static final String[] THIRD_PARTY = {"io.github.resilience4j..", "dev.failsafe..", "com.fasterxml.."};

  @Test
  void nothingOutsideInternalDependsOnInternalButTheFactory() {
    noClasses().that().resideOutsideOfPackages("dev.runbook4j.internal..", "dev.runbook4j.defaults..")
        .should().dependOnClassesThat().resideInAPackage("dev.runbook4j.internal..")
        .because("the engine is reached only through RunbookEngine.builder() (ServiceLoader)")
        .check(CORE);
  }

  @Test
  void oneRunDoesNotDependOnTheManyRuns() {
    noClasses().that().resideInAPackage("dev.runbook4j.internal.run..")
        .should().dependOnClassesThat().resideInAPackage("dev.runbook4j.internal.engine..")
        .because("a run reaches its engine through RunHost alone")
        .check(CORE);
  }

  @Test
  void theEngineDependsOnNoJournalOrPolicyImplementation() {
    noClasses().that().resideInAPackage("dev.runbook4j.internal..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.runbook4j.journal..", "dev.runbook4j.resilience4j..",
            "dev.runbook4j.failsafe..", "io.github.resilience4j..", "dev.failsafe..")
        .because("the defaults come from the factory (dev.runbook4j.defaults), every other one from the builder")
        .check(CORE);
  }

  @Test
  void theApiImportsNoJackson() {
    noClasses().that().resideInAPackage("dev.runbook4j")
        .should().dependOnClassesThat().resideInAPackage("com.fasterxml..")
        .because("JSON is the event codec's (dev.runbook4j.spi.EventCodec): one codec for everything core writes")
        .check(CORE);
  }

  @Test
  void theApiAndSpiDependOnNoImplementationPackage() {
    noClasses().that().resideInAnyPackage("dev.runbook4j", "dev.runbook4j.spi")
        .should().dependOnClassesThat().resideInAnyPackage("dev.runbook4j.internal..", "dev.runbook4j.journal..",
            "dev.runbook4j.resilience4j..", "dev.runbook4j.failsafe..", "io.github.resilience4j..", "dev.failsafe..")
        .check(CORE);
  }

  @Test
  void packagesAreFreeOfCyclesTheApiIncluded() {
    // the API and the SPI are one slice (each names the other's types: a Journal takes RunEvents, the
    // builder takes a Journal); every other package is a slice of its own, internal's two included
    slices().assignedFrom(new com.tngtech.archunit.library.dependencies.SliceAssignment() {
      @Override
      public com.tngtech.archunit.library.dependencies.SliceIdentifier getIdentifierOf(JavaClass c) {
        String p = c.getPackageName();
        if (!p.startsWith("dev.runbook4j")) {
          return com.tngtech.archunit.library.dependencies.SliceIdentifier.ignore();
        }
        if (p.equals("dev.runbook4j") || p.startsWith("dev.runbook4j.spi")) {
          return com.tngtech.archunit.library.dependencies.SliceIdentifier.of("api");
        }
        return com.tngtech.archunit.library.dependencies.SliceIdentifier.of(p);
      }

      @Override
      public String getDescription() {
        return "the API with the SPI, and each other package of core";
      }
    }).should().beFreeOfCycles().check(CORE);
  }

  @Test
  void publicApiSignaturesCarryNoThirdPartyTypes() {
    // the API's surface: public members of public types (a private or anonymous class's methods are not part of it)
    members().that().areDeclaredInClassesThat().resideInAnyPackage("dev.runbook4j", "dev.runbook4j.spi")
        .and().areDeclaredInClassesThat().arePublic()
        .and().arePublic()
        .should(new ArchCondition<JavaMember>("not mention third-party types in their signature") {
          @Override
          public void check(JavaMember member, ConditionEvents events) {
            List<JavaClass> types = new ArrayList<>();
            if (member instanceof JavaCodeUnit unit) {
              types.add(unit.getRawReturnType());
              types.addAll(unit.getRawParameterTypes());
            } else if (member instanceof com.tngtech.archunit.core.domain.JavaField field) {
              types.add(field.getRawType());
            }
            for (JavaClass t : types) {
              for (String pkg : THIRD_PARTY) {
                if (t.getPackageName().startsWith(pkg.replace("..", ""))) {
                  events.add(SimpleConditionEvent.violated(member, member.getFullName() + " exposes " + t.getName()));
                }
              }
            }
          }
        })
        .check(CORE);
  }

  @Test
  void publicTopLevelTypesOutsideInternalDeclareTheirApiStatus() {
    classes().that().resideOutsideOfPackage("dev.runbook4j.internal..")
        .and().arePublic().and().areTopLevelClasses()
        .and().doNotHaveSimpleName("package-info")
        .should().beAnnotatedWith(API.class)
        .check(CORE);
  }

  @Test
  void internalTypesArePublicOnlyWhereTheOtherInternalPackageOrTheFactoryNeedsThem() {
    classes().that().resideInAPackage("dev.runbook4j.internal..").and().haveModifier(JavaModifier.PUBLIC)
        .and().areTopLevelClasses()
        .should().haveSimpleNameStartingWith("Run").orShould().haveSimpleName("DefaultRunbookEngine")
        .check(CORE);
    classes().that().resideInAPackage("dev.runbook4j.internal.run").and().haveModifier(JavaModifier.PUBLIC)
        .and().areTopLevelClasses()
        .should().haveSimpleName("Run").orShould().haveSimpleName("RunHost").orShould().haveSimpleName("RunLedger")
        .because("the package of one run shows the many-runs package its run, the run's host and its ledger only")
        .check(CORE);
  }
}
