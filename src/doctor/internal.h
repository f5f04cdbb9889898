/* internal.h - helpers the doctor's analysis (doctor.c) and fix (fix.c) share. */
#ifndef HC_DOCTOR_INTERNAL_H
#define HC_DOCTOR_INTERNAL_H
#include "doctor/doctor.h"

/* The Const value tensor of node n, or NULL (not a Const, or no tensor value). */
const hc_tensor_proto *hc_doctor_const_value(const hc_node *n);
/* true when hc_tensor_values can decode t without recording an error: a fixed-size dtype,
 * a known shape, and (for value lists) the field of its dtype with no more values than
 * elements and packed bytes that match the shape. */
bool hc_doctor_decodable(const hc_tensor_proto *t);
/* Encode one element (native bytes at p, dtype dt) the way its *_val field stores it; returns
 * the byte count (0 when dt has no *_val field) and the element wire type in *wt. */
size_t hc_doctor_encode_one(hc_dtype dt, const uint8_t *p, uint8_t out[10], uint32_t *wt);
#endif
