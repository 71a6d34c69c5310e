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
  void nothingOutsideInternalDependsOnInternal() {
    noClasses().that().resideOutsideOfPackage("dev.runbook4j.internal..")
        .should().dependOnClassesThat().resideInAPackage("dev.runbook4j.internal..")
        .because("the engine is reached only through RunbookEngine.builder() (ServiceLoader)")
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
  void subpackagesAreFreeOfCycles() {
    slices().matching("dev.runbook4j.(*)..").should().beFreeOfCycles().check(CORE);
  }

  @Test
  void publicApiSignaturesCarryNoThirdPartyTypes() {
    members().that().areDeclaredInClassesThat().resideInAnyPackage("dev.runbook4j", "dev.runbook4j.spi")
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
  void internalTypesAreNotPublicApartFromTheServiceEntry() {
    classes().that().resideInAPackage("dev.runbook4j.internal..").and().haveModifier(JavaModifier.PUBLIC)
        .should().haveSimpleName("DefaultEngineFactory")
        .check(CORE);
  }
}
