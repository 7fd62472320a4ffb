// The Verilated unit headers, included once with Verilator's own -Wextra noise silenced.
#pragma once
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vmxlab_decode_all.h"
#include "Vmxlab_fp4v_mac.h"
#include "Vmxlab_int_mac.h"
#include "Vmxlab_mx_dot_any.h"
#include "Vmxlab_mxfp4_dot.h"
#include "Vmxlab_nvfp4_dot.h"
#include "Vmxlab_vq_mac.h"
#include "verilated.h"
#pragma GCC diagnostic pop
