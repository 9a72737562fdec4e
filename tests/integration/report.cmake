# vigie-ctl report surveys against a private redis-server (no broker): a
# fixture of survey topics written straight into Redis, the text report and
# the HTML page ("text"), and the page opened in headless Chromium
# ("chromium": DOM and a screenshot; SKIPPED, exit 77, when chromium is not
# installed: tests/install-chromium.sh). The pages and the screenshot stay
# in tests/report/ of the build tree.
add_executable(check_report ${CMAKE_CURRENT_LIST_DIR}/check_report.c)
target_link_libraries(check_report PRIVATE vg_itest vigie PkgConfig::CHECK)
add_dependencies(check_report vigie-ctl)

foreach(case text chromium)
        add_test(NAME integration_report_${case}
                 COMMAND ${PROJECT_SOURCE_DIR}/tests/run_with_services.sh
                         --redis -- $<TARGET_FILE:check_report>)
        set_tests_properties(integration_report_${case} PROPERTIES
                LABELS integration TIMEOUT 450 SKIP_RETURN_CODE 77
                ENVIRONMENT "CK_RUN_CASE=${case};VG_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VG_SOURCE_DIR=${PROJECT_SOURCE_DIR};VG_REPORT_DIR=${CMAKE_CURRENT_BINARY_DIR}/report")
endforeach()
