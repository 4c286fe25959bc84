# soundsearch_generate_proto(<target> PROTOS <files...> IMPORT_DIR <dir> [GRPC])
# Generates C++ for the given .proto files (and gRPC stubs with GRPC) into the
# build tree and adds the sources to <target>, a library that then exports the
# generated headers as `#include "soundsearch/v1/x.pb.h"`.
function(soundsearch_generate_proto target)
  cmake_parse_arguments(ARG "GRPC" "IMPORT_DIR" "PROTOS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated)
  file(MAKE_DIRECTORY ${out_dir})
  set(grpc_plugin $<TARGET_FILE:gRPC::grpc_cpp_plugin>)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${ARG_IMPORT_DIR} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(outputs ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h)
    set(args --cpp_out=${out_dir})
    if(ARG_GRPC)
      list(APPEND outputs ${out_dir}/${stem}.grpc.pb.cc ${out_dir}/${stem}.grpc.pb.h)
      list(APPEND args --grpc_out=${out_dir} --plugin=protoc-gen-grpc=${grpc_plugin})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc ARGS ${args} -I ${ARG_IMPORT_DIR} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    target_sources(${target} PRIVATE ${outputs})
  endforeach()
  target_include_directories(${target} PUBLIC ${out_dir})
endfunction()
