# Compiles one catalogue (PO -> MO) and checks it, run by po/CMakeLists.txt:
# every message translated, none fuzzy, and tcpwhy.pot holding exactly the
# messages the sources mark (xgettext into FRESH_POT, compared both ways).
# With STRICT off the problems are warnings.
execute_process(COMMAND ${XGETTEXT} -o ${FRESH_POT} ${SOURCES}
                WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "xgettext failed")
endif()
set(problems "")
execute_process(COMMAND ${MSGCMP} --use-untranslated ${POT} ${FRESH_POT}
                RESULT_VARIABLE rc1 OUTPUT_QUIET ERROR_VARIABLE e1)
execute_process(COMMAND ${MSGCMP} --use-untranslated ${FRESH_POT} ${POT}
                RESULT_VARIABLE rc2 OUTPUT_QUIET ERROR_VARIABLE e2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  string(APPEND problems "po/tcpwhy.pot is stale against the sources "
         "(cmake --build <build> --target pot; msgmerge --update po/*.po po/tcpwhy.pot):\n${e1}${e2}")
endif()
execute_process(COMMAND ${MSGCMP} ${PO} ${FRESH_POT}
                RESULT_VARIABLE rc3 OUTPUT_QUIET ERROR_VARIABLE e3)
if(NOT rc3 EQUAL 0)
  string(APPEND problems "${PO} lacks translations of messages in the sources:\n${e3}")
endif()
get_filename_component(dir ${MO} DIRECTORY)
file(MAKE_DIRECTORY ${dir})
execute_process(COMMAND ${MSGFMT} --check --statistics -o ${MO} ${PO}
                RESULT_VARIABLE rc ERROR_VARIABLE stats)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "msgfmt failed on ${PO}:\n${stats}")
endif()
if(stats MATCHES "untranslated|fuzzy")
  string(APPEND problems "${PO} is incomplete: ${stats}")
endif()
if(problems)
  if(STRICT)
    file(REMOVE ${MO})
    message(FATAL_ERROR "${problems}")
  endif()
  message(WARNING "${problems}")
endif()
