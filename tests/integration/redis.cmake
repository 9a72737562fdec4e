# Integration test of common/vg_redis.c against a private redis-server
# (tests/run_with_services.sh --redis), which it restarts once.
add_executable(integration_redis
        ${PROJECT_SOURCE_DIR}/tests/integration/check_redis.c)
target_link_libraries(integration_redis PRIVATE vg_itest vigie
                      PkgConfig::CHECK)
target_compile_definitions(integration_redis PRIVATE
        VG_TESTS_DIR="${PROJECT_SOURCE_DIR}/tests")
add_test(NAME integration_redis
         COMMAND ${PROJECT_SOURCE_DIR}/tests/run_with_services.sh --redis --
                 $<TARGET_FILE:integration_redis>)
set_tests_properties(integration_redis PROPERTIES
        LABELS integration TIMEOUT 300)
