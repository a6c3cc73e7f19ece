package io.ticketrush;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The rooms of the code and what may cross between them (docs/architecture.md, "Packages"), held
 * by the build: the domain knows no Redis, servlet or web; only the Redis rooms speak to Redis;
 * no two packages need each other.
 */
@AnalyzeClasses(packages = "io.ticketrush", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    /** The JDK: the language, its annotations, and its cryptography (the payment provider's signature). */
    private static final String[] JDK = {"java..", "javax.annotation..", "javax.crypto.."};

    @ArchTest
    static final ArchRule the_sale_domain_needs_nothing_but_itself = classes().that()
            .resideInAPackage("io.ticketrush.sale..").should().onlyDependOnClassesThat()
            .resideInAnyPackage(with(JDK, "io.ticketrush.sale.."));

    @ArchTest
    static final ArchRule orders_need_nothing_but_themselves_and_the_sale_domain = classes().that()
            .resideInAPackage("io.ticketrush.order..").should().onlyDependOnClassesThat()
            .resideInAnyPackage(with(JDK, "io.ticketrush.order..", "io.ticketrush.sale.."));

    @ArchTest
    static final ArchRule the_waiting_room_needs_nothing_but_itself_and_the_sale_domain = classes().that()
            .resideInAPackage("io.ticketrush.queue..").should().onlyDependOnClassesThat()
            .resideInAnyPackage(with(JDK, "io.ticketrush.queue..", "io.ticketrush.sale.."));

    @ArchTest
    static final ArchRule the_stat_log_needs_nothing_but_itself = classes().that()
            .resideInAPackage("io.ticketrush.statlog..").should().onlyDependOnClassesThat()
            .resideInAnyPackage(with(JDK, "io.ticketrush.statlog.."));

    @ArchTest
    static final ArchRule the_limits_need_nothing_but_themselves = classes().that()
            .resideInAPackage("io.ticketrush.limit..").should().onlyDependOnClassesThat()
            .resideInAnyPackage(with(JDK, "io.ticketrush.limit.."));

    @ArchTest
    static final ArchRule only_the_redis_rooms_speak_to_redis = noClasses().that()
            .resideOutsideOfPackage("io.ticketrush.redis..").should().dependOnClassesThat()
            .resideInAPackage("redis.clients..");

    @ArchTest
    static final ArchRule only_the_web_and_the_node_know_servlets = noClasses().that()
            .resideOutsideOfPackages("io.ticketrush.web..", "io.ticketrush.node..", "io.ticketrush.jetty..")
            .should().dependOnClassesThat().resideInAPackage("jakarta.servlet..");

    @ArchTest
    static final ArchRule nothing_below_the_web_knows_the_web = noClasses().that()
            .resideOutsideOfPackage("io.ticketrush.web..").should().dependOnClassesThat()
            .resideInAPackage("io.ticketrush.web..");

    @ArchTest
    static final ArchRule connections_scripts_and_stock_stay_inside_redis = classes().that()
            .resideInAnyPackage("io.ticketrush.redis.connect..", "io.ticketrush.redis.script..",
                    "io.ticketrush.redis.stock..")
            .should().onlyBeAccessed().byAnyPackage("io.ticketrush.redis..");

    @ArchTest
    static final ArchRule no_two_packages_need_each_other = slices().matching("io.ticketrush.(*)..")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule no_two_redis_rooms_need_each_other = slices().matching("io.ticketrush.redis.(*)..")
            .should().beFreeOfCycles();

    private static String[] with(String[] jdk, String... more) {
        String[] all = new String[jdk.length + more.length];
        System.arraycopy(jdk, 0, all, 0, jdk.length);
        System.arraycopy(more, 0, all, jdk.length, more.length);
        return all;
    }
}
