# vigie-survey end to end: each scenario with its own broker and Redis.
add_executable(check_survey ${CMAKE_CURRENT_LIST_DIR}/check_survey.c)
target_link_libraries(check_survey PRIVATE vg_itest vigie_gen
                      PkgConfig::CHECK)
add_dependencies(check_survey vigie-survey vigie-ctl vigie-broker)

vg_service_tests(survey check_survey
                 e2e strict no_key bad_records redis_down sigkill)
