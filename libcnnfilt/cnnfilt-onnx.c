/* cnnfilt-onnx.c: graphs from ONNX models
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The model is decoded by protobuf-c with code generated at build time from
 * the system's onnx.proto. Each NodeProto becomes one node whose op comes
 * from the registry by ONNX op_type; how the node's inputs and attributes
 * map onto the op's properties is read from the op class (onnx_inputs,
 * onnx_attributes, documented in cnnfilt-op.h), so this file knows no op
 * by name except Constant, whose value it keeps as a constant, Identity,
 * which passes a constant on, the rank rules of Flatten, Gemm and Reshape,
 * and Softmax's meaning before opset 13.
 *
 * Tensors are 4-D with trailing 1s; ONNX values keep their rank here, so
 * that numpy broadcasting (which aligns trailing dimensions) can be
 * re-aligned to leading ones where ranks differ, and negative axes resolved.
 *
 * Everything read from the model is checked before use: nesting depth
 * before protobuf-c recurses, tensor sizes against the data present, and
 * every failure is a GError naming the node, its op_type and the opset.
 */
#include "cnnfilt-onnx.h"
#include "cnnfilt-error.h"
#include "cnnfilt-registry.h"
#include "cnnfilt-tensor-private.h"
#include "onnx.pb-c.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Opsets 1 to 17. Where an op's meaning changed over the versions (Add's
 * and Gemm's broadcast, BatchNormalization's spatial and consumed_inputs,
 * Dropout's is_test before opset 7), the old versions have attributes the
 * op classes do not list, so such a node is refused as unsupported rather
 * than misread; Softmax's change at 13 is checked below. */
#define MIN_OPSET 1
#define MAX_OPSET 17
#define MAX_RANK 4
/* Nested messages (graphs in attributes, sequence types) deeper than this
 * are refused before protobuf-c, which recurses once per level, sees them. */
#define MAX_NESTING 64
/* Per tensor: 8 GiB of float32, beyond any CNN layer; mostly a guard
 * against dims whose product overflows. */
#define MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 31)

/* An ONNX value (a tensor name) as the importer tracks it. */
typedef struct _Value {
  gint rank;                         /* -1 when unknown */
  gint64 dims[MAX_RANK];             /* -1 where unknown */
  gchar *node;                       /* graph node that holds it; NULL for a constant */
  const Onnx__TensorProto *constant; /* the value of an initializer or Constant */
  GArray *folded;                    /* ShapeElem: a shape computed at import, or NULL */
} Value;

/* An element of a shape computed at import (Shape, Gather, Concat …): a
 * number, or dimension `dim` of value `of`, a size only known when the
 * graph runs (such as the batch). */
typedef struct _ShapeElem {
  gint64 number;
  const struct _Value *of;
  gint dim;
} ShapeElem;

typedef struct {
  gboolean is_int;
  gint64 i;
  gdouble f;
} Number;

/* What an attribute, or an input mapped to an attribute, carries. */
typedef enum { ARG_NUMBERS, ARG_STRING, ARG_TENSOR } ArgKind;

typedef struct {
  ArgKind kind;
  GArray *numbers;                 /* Number */
  gchar *string;
  const Onnx__TensorProto *tensor;
  gchar *source;                   /* "attribute 'pads'", "input 1 ('pads')" */
} Arg;

/* One entry of CnnfiltOpClass.onnx_attributes: NAME[=DEFAULT]:TARGETS. */
typedef struct {
  gchar *name;
  gchar *default_text; /* NULL when there is none */
  GStrv targets;       /* without the "..." */
  gboolean open;       /* TARGETS ended in "...": fewer values are fine */
  Arg *arg;            /* what the node gives, or NULL */
} Mapping;

typedef struct {
  CnnfiltGraph *graph;
  Onnx__ModelProto *model;
  gchar *base_dir;        /* for external data; NULL when importing bytes */
  gint64 opset;
  GHashTable *values;     /* ONNX name -> Value * */
  GHashTable *names;      /* graph node names in use */
  GHashTable *aligned;    /* (name, rank) -> graph node name, for constants and reshapes */
  GHashTable *consumed;   /* ONNX names read by a node or a graph output */
  GHashTable *node_names; /* NodeProto name -> how many nodes have it */
  GHashTable *all_values; /* every ONNX value name the graph defines */
  GHashTable *declared;   /* ONNX name -> Onnx__ValueInfoProto * (value_info, outputs) */
  GHashTable *external;   /* Onnx__TensorProto * -> GBytes of its external data */
  GPtrArray *synthetic;   /* Onnx__TensorProto * made from Constant attributes */
  GPtrArray *owned;       /* memory the synthetic tensors point to */
} Importer;

/* The node being imported, for messages. */
typedef struct {
  Importer *imp;
  const Onnx__NodeProto *proto;
  const gchar *label;     /* name, or first output */
  CnnfiltOp *op;
  gint first_rank;        /* rank of the first input, -1 when unknown */
} NodeCtx;

static const gchar *
nonnull (const gchar *text)
{
  return text ? text : "";
}

/* ONNX says that names, op types and string attributes are UTF-8, but a
 * file may hold any bytes there, and what leaves the importer must be
 * UTF-8: the graph's node names and the messages of errors (bindings
 * convert both, and fail on anything else). Returns @text with each byte
 * that is not part of valid UTF-8 written as \xNN, so that a message still
 * shows what the file holds. */
static gchar *
valid_utf8 (const gchar *text)
{
  const gchar *c = nonnull (text), *end = c + strlen (c), *valid;
  if (g_utf8_validate (c, end - c, &valid))
    return g_strdup (c);
  GString *out = g_string_sized_new (end - c + 8);
  while (c < end)
    {
      g_utf8_validate (c, end - c, &valid);
      g_string_append_len (out, c, valid - c);
      c = valid;
      if (c < end)
        g_string_append_printf (out, "\\x%02x", (guchar) *c++);
    }
  return g_string_free (out, FALSE);
}

static void
value_free (gpointer data)
{
  Value *value = data;
  g_free (value->node);
  if (value->folded)
    g_array_unref (value->folded);
  g_free (value);
}

static void
arg_free (Arg *arg)
{
  if (arg == NULL)
    return;
  if (arg->numbers)
    g_array_unref (arg->numbers);
  g_free (arg->string);
  g_free (arg->source);
  g_free (arg);
}

static void
mapping_free (gpointer data)
{
  Mapping *mapping = data;
  g_free (mapping->name);
  g_free (mapping->default_text);
  g_strfreev (mapping->targets);
  arg_free (mapping->arg);
  g_free (mapping);
}

static void
synthetic_free (gpointer data)
{
  Onnx__TensorProto *tensor = data;
  g_free (tensor->dims);
  g_free (tensor);
}

/* protobuf-c copies every initializer's bytes out of the file: those
 * copies (most of a model) go on huge pages like tensors. */
static void *
message_alloc (void *data, size_t size)
{
  gsize bytes = size;
  if (size < (4 << 20))
    return malloc (MAX (size, 1)); /* names, messages: small and many */
  return _cnnfilt_alloc_large (&bytes);
}

static void
message_free (void *data, void *memory)
{
  free (memory);
}

static ProtobufCAllocator message_allocator = { message_alloc, message_free, NULL };

static void
importer_clear (Importer *imp)
{
  g_clear_object (&imp->graph);
  if (imp->model)
    onnx__model_proto__free_unpacked (imp->model, &message_allocator);
  g_free (imp->base_dir);
  g_clear_pointer (&imp->values, g_hash_table_unref);
  g_clear_pointer (&imp->owned, g_ptr_array_unref);
  g_clear_pointer (&imp->names, g_hash_table_unref);
  g_clear_pointer (&imp->aligned, g_hash_table_unref);
  g_clear_pointer (&imp->consumed, g_hash_table_unref);
  g_clear_pointer (&imp->node_names, g_hash_table_unref);
  g_clear_pointer (&imp->all_values, g_hash_table_unref);
  g_clear_pointer (&imp->declared, g_hash_table_unref);
  g_clear_pointer (&imp->external, g_hash_table_unref);
  g_clear_pointer (&imp->synthetic, g_ptr_array_unref);
}

/* ---- Messages ----------------------------------------------------------- */

static void G_GNUC_PRINTF (4, 5)
node_error (GError **error, const NodeCtx *ctx, gint code, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CNNFILT_ERROR, code, "node '%s' (%s, opset %" G_GINT64_FORMAT "): %s",
               ctx->label, nonnull (ctx->proto->op_type), ctx->imp->opset, message);
}

static void
node_prefix_error (GError **error, const NodeCtx *ctx)
{
  g_prefix_error (error, "node '%s' (%s, opset %" G_GINT64_FORMAT "): ", ctx->label,
                  nonnull (ctx->proto->op_type), ctx->imp->opset);
}

static const gchar *
data_type_name (gint type)
{
  static const gchar *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };
  return type >= 0 && type < (gint) G_N_ELEMENTS (names) ? names[type] : "unknown";
}

/* ---- Wire-format nesting check ------------------------------------------ */

static gboolean
read_varint (const guint8 *data, gsize length, gsize *pos, guint64 *value)
{
  guint64 result = 0;
  for (guint shift = 0; shift < 64; shift += 7)
    {
      if (*pos >= length)
        return FALSE;
      guint8 byte = data[(*pos)++];
      result |= (guint64) (byte & 0x7f) << shift;
      if (!(byte & 0x80))
        {
          *value = result;
          return TRUE;
        }
    }
  return FALSE;
}

/* Walks the wire format of a message of type @descriptor, descending into
 * the fields that hold messages. FALSE when the nesting is deeper than
 * MAX_NESTING or the encoding is broken; protobuf-c reports the latter
 * better, so only depth is named by the caller. */
static gboolean
check_nesting (const guint8 *data, gsize length, const ProtobufCMessageDescriptor *descriptor,
               guint depth)
{
  if (depth > MAX_NESTING)
    return FALSE;
  gsize pos = 0;
  while (pos < length)
    {
      guint64 tag = 0, size = 0;
      if (!read_varint (data, length, &pos, &tag))
        return FALSE;
      switch (tag & 7)
        {
        case 0:
          if (!read_varint (data, length, &pos, &size))
            return FALSE;
          break;
        case 1:
          if (length - pos < 8)
            return FALSE;
          pos += 8;
          break;
        case 5:
          if (length - pos < 4)
            return FALSE;
          pos += 4;
          break;
        case 2:
          {
            if (!read_varint (data, length, &pos, &size) || size > length - pos)
              return FALSE;
            const ProtobufCFieldDescriptor *field =
              tag >> 3 <= G_MAXUINT ? protobuf_c_message_descriptor_get_field (descriptor, tag >> 3)
                                    : NULL;
            if (field != NULL && field->type == PROTOBUF_C_TYPE_MESSAGE &&
                !check_nesting (data + pos, size, field->descriptor, depth + 1))
              return FALSE;
            pos += size;
            break;
          }
        default:
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- Tensors ------------------------------------------------------------ */

static gsize
element_size (gint type)
{
  switch (type)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
      return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
      return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
      return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
      return 1;
    default:
      return 0; /* not a type this importer reads */
    }
}

static gint64
tensor_n_elements (const Onnx__TensorProto *tensor)
{
  gint64 n = 1;
  for (gsize i = 0; i < tensor->n_dims; i++)
    n *= tensor->dims[i]; /* checked by check_tensor before anyone asks */
  return n;
}

/* The bytes of a tensor's raw data (inline or external), or NULL when its
 * values are in the typed fields. */
static const guint8 *
tensor_raw (Importer *imp, const Onnx__TensorProto *tensor, gsize *length)
{
  GBytes *external = g_hash_table_lookup (imp->external, tensor);
  if (external != NULL)
    return g_bytes_get_data (external, length);
  if (tensor->has_raw_data && tensor->raw_data.len > 0)
    {
      *length = tensor->raw_data.len;
      return tensor->raw_data.data;
    }
  *length = 0;
  return NULL;
}

/* Reads the data of an external tensor, relative to the model's folder. */
static gboolean
load_external (Importer *imp, const Onnx__TensorProto *tensor, const gchar *what, gsize need,
               GError **error)
{
  const gchar *location = NULL;
  gint64 offset = 0, length = -1;
  for (gsize i = 0; i < tensor->n_external_data; i++)
    {
      const gchar *key = nonnull (tensor->external_data[i]->key);
      const gchar *value = nonnull (tensor->external_data[i]->value);
      if (g_str_equal (key, "location"))
        location = value;
      else if ((g_str_equal (key, "offset") || g_str_equal (key, "length")) &&
               !g_ascii_string_to_signed (value, 10, 0, G_MAXINT64,
                                          g_str_equal (key, "offset") ? &offset : &length, NULL))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                       "%s: external data %s '%s' is not a number", what, key, value);
          return FALSE;
        }
    }
  if (imp->base_dir == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: its data is in an external file ('%s'), which a model read from bytes "
                   "cannot refer to; load the model from its file", what, nonnull (location));
      return FALSE;
    }
  if (location == NULL || *location == '\0' || g_path_is_absolute (location) ||
      strstr (location, "..") != NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "%s: external data location '%s' must be a file name relative to the "
                   "model's folder", what, nonnull (location));
      return FALSE;
    }
  g_autofree gchar *path = g_build_filename (imp->base_dir, location, NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: external data: %s", what,
                   local->message);
      return FALSE;
    }
  gsize size = g_mapped_file_get_length (file);
  if (length < 0)
    length = size >= (guint64) offset ? (gint64) (size - offset) : 0;
  if ((guint64) offset > size || (guint64) length > size - offset || (guint64) length != need)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "%s: external data in %s: %" G_GINT64_FORMAT " bytes at offset %"
                   G_GINT64_FORMAT " of a %" G_GSIZE_FORMAT "-byte file, %" G_GSIZE_FORMAT
                   " needed", what, path, length, offset, size, need);
      return FALSE;
    }
  g_autoptr (GBytes) whole = g_mapped_file_get_bytes (file);
  g_hash_table_insert (imp->external, (gpointer) tensor,
                       g_bytes_new_from_bytes (whole, offset, length));
  return TRUE;
}

/* Checks what the importer reads of a tensor: its type, its dims (rank at
 * most 4, every dim at least 1, a bounded total) and that exactly the data
 * its dims call for is present. */
static gboolean
check_tensor (Importer *imp, const Onnx__TensorProto *tensor, const gchar *what, GError **error)
{
  gint type = tensor->data_type;
  gsize size = element_size (type);
  if (size == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: tensors of type %s are not supported", what, data_type_name (type));
      return FALSE;
    }
  if (tensor->segment != NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: segmented tensors are not supported", what);
      return FALSE;
    }
  if (tensor->n_dims > MAX_RANK)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: rank %" G_GSIZE_FORMAT " tensors are not supported (at most %d dims)",
                   what, tensor->n_dims, MAX_RANK);
      return FALSE;
    }
  gint64 n = 1;
  for (gsize i = 0; i < tensor->n_dims; i++)
    {
      gint64 dim = tensor->dims[i];
      if (dim < 1 || dim > MAX_ELEMENTS || n > MAX_ELEMENTS / dim)
        {
          g_set_error (error, CNNFILT_ERROR, dim == 0 ? CNNFILT_ERROR_UNSUPPORTED : CNNFILT_ERROR_FORMAT,
                       dim == 0 ? "%s: dimension %" G_GSIZE_FORMAT " is 0; empty tensors are not supported"
                                : "%s: dimension %" G_GSIZE_FORMAT " (%" G_GINT64_FORMAT ") is invalid "
                                  "or makes the tensor too large", what, i, dim);
          return FALSE;
        }
      n *= dim;
    }

  gsize need = (gsize) n * size;
  if (tensor->has_data_location && tensor->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return load_external (imp, tensor, what, need, error);
  if (tensor->has_raw_data && tensor->raw_data.len > 0)
    {
      if (tensor->raw_data.len != need)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                       "%s: raw_data holds %" G_GSIZE_FORMAT " bytes; %" G_GINT64_FORMAT
                       " %s values need %" G_GSIZE_FORMAT, what, tensor->raw_data.len, n,
                       data_type_name (type), need);
          return FALSE;
        }
      return TRUE;
    }
  gsize have;
  switch (type)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      have = tensor->n_float_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
      have = tensor->n_double_data;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
      have = tensor->n_int64_data;
      break;
    default:
      have = tensor->n_int32_data;
      break;
    }
  if (have != (gsize) n)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "%s: %" G_GSIZE_FORMAT " values stored for dims that hold %" G_GINT64_FORMAT,
                   what, have, n);
      return FALSE;
    }
  return TRUE;
}

/* The values of a checked tensor of any numeric type. */
static GArray *
tensor_numbers (Importer *imp, const Onnx__TensorProto *tensor)
{
  gsize n = tensor_n_elements (tensor), length = 0;
  const guint8 *raw = tensor_raw (imp, tensor, &length);
  GArray *numbers = g_array_sized_new (FALSE, TRUE, sizeof (Number), n);
  for (gsize i = 0; i < n; i++)
    {
      Number number = { TRUE, 0, 0 };
      switch (tensor->data_type)
        {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
          {
            gfloat f;
            if (raw)
              {
                guint32 bits;
                memcpy (&bits, raw + 4 * i, 4);
                bits = GUINT32_FROM_LE (bits);
                memcpy (&f, &bits, 4);
              }
            else
              f = tensor->float_data[i];
            number.is_int = FALSE;
            number.f = f;
            break;
          }
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
          {
            gdouble d;
            if (raw)
              {
                guint64 bits;
                memcpy (&bits, raw + 8 * i, 8);
                bits = GUINT64_FROM_LE (bits);
                memcpy (&d, &bits, 8);
              }
            else
              d = tensor->double_data[i];
            number.is_int = FALSE;
            number.f = d;
            break;
          }
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
          if (raw)
            {
              guint64 bits;
              memcpy (&bits, raw + 8 * i, 8);
              number.i = (gint64) GUINT64_FROM_LE (bits);
            }
          else
            number.i = tensor->int64_data[i];
          break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
          if (raw)
            {
              guint32 bits;
              memcpy (&bits, raw + 4 * i, 4);
              number.i = (gint32) GUINT32_FROM_LE (bits);
            }
          else
            number.i = tensor->int32_data[i];
          break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
        case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
          if (raw)
            {
              guint16 bits;
              memcpy (&bits, raw + 2 * i, 2);
              bits = GUINT16_FROM_LE (bits);
              number.i = tensor->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT16 ? (gint16) bits : bits;
            }
          else
            number.i = tensor->int32_data[i];
          break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
          number.i = raw ? (gint8) raw[i] : tensor->int32_data[i];
          break;
        default: /* UINT8, BOOL */
          number.i = raw ? raw[i] : tensor->int32_data[i];
          break;
        }
      if (number.is_int)
        number.f = number.i;
      g_array_append_val (numbers, number);
    }
  return numbers;
}

/* A checked float32 tensor as a CnnfiltTensor: its dims are first aligned
 * to @align_rank with leading 1s (numpy broadcasting; -1 for none), then
 * padded to four with trailing 1s. */
static CnnfiltTensor *
tensor_to_cnnfilt (Importer *imp, const Onnx__TensorProto *tensor, gint align_rank,
                   const gchar *what, GError **error)
{
  if (tensor->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s is %s; only FLOAT (float32) tensors are supported here", what,
                   data_type_name (tensor->data_type));
      return NULL;
    }
  gint rank = tensor->n_dims;
  gint target = MAX (rank, align_rank);
  if (target > MAX_RANK)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: aligned to rank %d, more than %d dims", what, target, MAX_RANK);
      return NULL;
    }
  guint dims[MAX_RANK] = { 1, 1, 1, 1 };
  for (gint i = 0; i < rank; i++)
    dims[target - rank + i] = tensor->dims[i];
  CnnfiltTensor *result = cnnfilt_tensor_new (dims[0], dims[1], dims[2], dims[3], error);
  if (result == NULL)
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  gsize n = 0, length = 0;
  gfloat *out = cnnfilt_tensor_get_data (result, &n);
  const guint8 *raw = tensor_raw (imp, tensor, &length);
  if (raw == NULL)
    memcpy (out, tensor->float_data, n * sizeof (gfloat));
  else
    for (gsize i = 0; i < n; i++)
      {
        guint32 bits;
        memcpy (&bits, raw + 4 * i, 4);
        bits = GUINT32_FROM_LE (bits);
        memcpy (out + i, &bits, 4);
      }
  return result;
}

/* ---- Values and names --------------------------------------------------- */

static Value *
add_value (Importer *imp, const gchar *name)
{
  Value *value = g_new0 (Value, 1);
  value->rank = -1;
  for (guint i = 0; i < MAX_RANK; i++)
    value->dims[i] = -1;
  g_hash_table_replace (imp->values, g_strdup (name), value);
  return value;
}

static void
value_set_dims (Value *value, gint rank, const gint64 *dims)
{
  value->rank = rank;
  for (gint i = 0; i < MAX_RANK; i++)
    value->dims[i] = i < rank && dims ? dims[i] : -1;
}

/* The rank and dims a ValueInfoProto declares: FALSE when it declares no
 * shape; dims it leaves symbolic are -1. */
static gboolean
declared_shape (const Onnx__ValueInfoProto *info, gint *rank, gint64 *dims, gsize *declared_rank)
{
  const Onnx__TypeProto *type = info ? info->type : NULL;
  if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      type->tensor_type == NULL || type->tensor_type->shape == NULL)
    return FALSE;
  const Onnx__TensorShapeProto *shape = type->tensor_type->shape;
  *declared_rank = shape->n_dim;
  *rank = MIN (shape->n_dim, (gsize) MAX_RANK + 1);
  for (gsize i = 0; i < MAX_RANK; i++)
    {
      dims[i] = -1;
      if (i < shape->n_dim && shape->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
          shape->dim[i]->dim_value > 0)
        dims[i] = shape->dim[i]->dim_value;
    }
  return TRUE;
}

/* A graph node name not yet taken, based on @wanted. */
static gchar *
unique_name (Importer *imp, const gchar *name_in_file)
{
  g_autofree gchar *wanted = valid_utf8 (name_in_file);
  if (!g_hash_table_contains (imp->names, wanted))
    return g_steal_pointer (&wanted);
  for (guint i = 2;; i++)
    {
      gchar *name = g_strdup_printf ("%s#%u", wanted, i);
      if (!g_hash_table_contains (imp->names, name))
        return name;
      g_free (name);
    }
}

static void
take_name (Importer *imp, const gchar *name)
{
  g_hash_table_add (imp->names, g_strdup (name));
}

/* The graph node to read value @name from, aligned to @rank with leading 1s
 * when @rank is larger than the value's (numpy broadcasting): a constant
 * is added to the graph the first time it is read as data, reshaped
 * directly; other values go through a `reshape` node. Returns the node's
 * name, owned by the importer. */
static const gchar *
value_node (NodeCtx *ctx, const gchar *name, Value *value, gint rank, GError **error)
{
  Importer *imp = ctx->imp;
  g_return_val_if_fail (rank <= MAX_RANK, NULL); /* output ranks are checked */
  gboolean align = rank > value->rank && value->rank >= 0;
  if (value->node == NULL && value->constant == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input '%s' is a shape computed from sizes known only when the graph runs; "
                  "only Reshape can take such a shape", name);
      return NULL;
    }
  if (!align && value->constant == NULL)
    return value->node;
  /* keyed by name and rank; a separator no exporter writes keeps "x" at
   * rank 3 apart from a value that happens to be called "x:rank3" */
  g_autofree gchar *key = g_strdup_printf ("%s\x1f%d", name, align ? rank : -1);
  const gchar *existing = g_hash_table_lookup (imp->aligned, key);
  if (existing != NULL)
    return existing;

  g_autofree gchar *wanted = align ? g_strdup_printf ("%s:rank%d", name, rank) : g_strdup (name);
  g_autofree gchar *node = unique_name (imp, wanted);
  if (value->constant != NULL)
    {
      g_autofree gchar *what = g_strdup_printf ("constant '%s'", name);
      g_autoptr (CnnfiltTensor) tensor = tensor_to_cnnfilt (imp, value->constant,
                                                            align ? rank : -1, what, error);
      if (tensor == NULL || !cnnfilt_graph_add_constant (imp->graph, node, tensor, error))
        {
          node_prefix_error (error, ctx);
          return NULL;
        }
    }
  else
    {
      /* x of rank r read at rank R: (d0..dr-1) becomes (1..1, d0..dr-1);
       * reshape needs the dims, of which one may be unknown (-1, inferred). */
      gint64 dims[MAX_RANK] = { 1, 1, 1, 1 };
      guint unknown = 0;
      for (gint i = 0; i < value->rank; i++)
        {
          dims[rank - value->rank + i] = value->dims[i];
          unknown += value->dims[i] < 0;
        }
      if (unknown > 1)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "input '%s' of rank %d broadcasts against rank %d, and its dims are "
                      "not known (declare them in value_info)", name, value->rank, rank);
          return NULL;
        }
      g_autoptr (CnnfiltOp) reshape = cnnfilt_op_new ("reshape", error);
      static const gchar *const properties[] = { "n", "c", "h", "w" };
      for (guint i = 0; reshape != NULL && i < MAX_RANK; i++)
        {
          g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT, dims[i]);
          if (!cnnfilt_op_set_property_from_string (reshape, properties[i], text, error))
            g_clear_object (&reshape);
        }
      const gchar *inputs[] = { value->node, NULL };
      if (reshape == NULL || !cnnfilt_graph_add_node (imp->graph, node, reshape, inputs, error))
        {
          g_prefix_error (error, "aligning '%s' to rank %d: ", name, rank);
          node_prefix_error (error, ctx);
          return NULL;
        }
    }
  take_name (imp, node);
  const gchar *result = node;
  g_hash_table_insert (imp->aligned, g_steal_pointer (&key), g_steal_pointer (&node));
  return result;
}

/* ---- The op class's ONNX mapping ---------------------------------------- */

static GStrv
split_words (const gchar *text)
{
  GStrv parts = g_strsplit_set (text ? text : "", " \t\n", -1);
  guint kept = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      parts[kept++] = parts[i];
    else
      g_free (parts[i]);
  parts[kept] = NULL;
  return parts;
}

/* Parses CnnfiltOpClass.onnx_attributes. */
static GPtrArray *
parse_mappings (NodeCtx *ctx, const gchar *text, GError **error)
{
  g_autoptr (GPtrArray) mappings = g_ptr_array_new_with_free_func (mapping_free);
  g_auto (GStrv) entries = split_words (text);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      const gchar *colon = strchr (entries[i], ':');
      if (colon == NULL || colon == entries[i])
        {
          node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                      "op %s: malformed onnx_attributes entry '%s' (NAME[=DEFAULT]:TARGETS)",
                      cnnfilt_op_get_name (ctx->op), entries[i]);
          return NULL;
        }
      Mapping *mapping = g_new0 (Mapping, 1);
      g_ptr_array_add (mappings, mapping);
      g_autofree gchar *head = g_strndup (entries[i], colon - entries[i]);
      const gchar *equals = strchr (head, '=');
      mapping->name = equals ? g_strndup (head, equals - head) : g_strdup (head);
      mapping->default_text = equals ? g_strdup (equals + 1) : NULL;
      GStrv targets = *(colon + 1) ? g_strsplit (colon + 1, ",", -1) : g_new0 (gchar *, 1);
      guint n = g_strv_length (targets);
      if (n > 0 && g_str_has_suffix (targets[n - 1], "..."))
        {
          mapping->open = TRUE;
          targets[n - 1][strlen (targets[n - 1]) - 3] = '\0';
          if (*targets[n - 1] == '\0')
            {
              g_free (targets[n - 1]);
              targets[n - 1] = NULL;
            }
        }
      mapping->targets = targets;
    }
  return g_steal_pointer (&mappings);
}

static Mapping *
find_mapping (GPtrArray *mappings, const gchar *name)
{
  for (guint i = 0; i < mappings->len; i++)
    if (g_str_equal (((Mapping *) mappings->pdata[i])->name, name))
      return mappings->pdata[i];
  return NULL;
}

static gboolean
parse_target_number (const gchar *text, gdouble *number)
{
  gchar *end = NULL;
  *number = g_ascii_strtod (text, &end);
  return *text != '\0' && end != NULL && *end == '\0';
}

/* An enum nick from an ONNX string: "SAME_UPPER" -> "same-upper". */
static gchar *
enum_nick (const gchar *text)
{
  gchar *nick = g_ascii_strdown (text, -1);
  g_strdelimit (nick, "_", '-');
  return nick;
}

static gboolean
is_tensor_property (GParamSpec *spec)
{
  return g_type_is_a (G_PARAM_SPEC_VALUE_TYPE (spec), CNNFILT_TYPE_TENSOR);
}

static GParamSpec *
find_property (NodeCtx *ctx, const gchar *name, const gchar *mapping, GError **error)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (ctx->op), name);
  if (spec == NULL || !(spec->flags & G_PARAM_WRITABLE))
    node_error (error, ctx, CNNFILT_ERROR_PLUGIN,
                "op %s maps %s to '%s', which is not a writable property of the op",
                cnnfilt_op_get_name (ctx->op), mapping, name);
  return spec && (spec->flags & G_PARAM_WRITABLE) ? spec : NULL;
}

/* Sets a number property from one value, range-checked. Float properties
 * take infinities (Clip's open bounds), the rest go through the parser's
 * checks and messages. */
static gboolean
set_number (NodeCtx *ctx, GParamSpec *spec, const Number *number, const gchar *source,
            GError **error)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (spec);
  GType fundamental = G_TYPE_FUNDAMENTAL (type);
  if (isnan (number->f))
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT, "%s: NaN for property '%s'", source,
                  spec->name);
      return FALSE;
    }
  if (fundamental == G_TYPE_FLOAT || fundamental == G_TYPE_DOUBLE)
    {
      gdouble minimum = fundamental == G_TYPE_FLOAT ? G_PARAM_SPEC_FLOAT (spec)->minimum
                                                    : G_PARAM_SPEC_DOUBLE (spec)->minimum;
      gdouble maximum = fundamental == G_TYPE_FLOAT ? G_PARAM_SPEC_FLOAT (spec)->maximum
                                                    : G_PARAM_SPEC_DOUBLE (spec)->maximum;
      gdouble v = number->f;
      /* Float properties hold float32 values: compare in float32, so that
       * a FLT_MAX bound given as a double is not out of range. */
      if (fundamental == G_TYPE_FLOAT && fabs (v) <= G_MAXFLOAT)
        v = (gfloat) v;
      if (v < minimum || v > maximum || (fundamental == G_TYPE_FLOAT && isfinite (v) &&
                                         fabs (v) > G_MAXFLOAT))
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "%s: %g is out of range for property '%s' (%g to %g)", source, v,
                      spec->name, minimum, maximum);
          return FALSE;
        }
      g_auto (GValue) value = G_VALUE_INIT;
      g_value_init (&value, type);
      if (fundamental == G_TYPE_FLOAT)
        g_value_set_float (&value, v);
      else
        g_value_set_double (&value, v);
      g_object_set_property (G_OBJECT (ctx->op), spec->name, &value);
      return TRUE;
    }
  if (!number->is_int && !(fabs (number->f) < 0x1p62))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "%s: %g is out of range for property '%s'",
                  source, number->f, spec->name);
      return FALSE;
    }
  if (!number->is_int && number->f != floor (number->f))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s: %g is not a whole number, as property '%s' needs", source, number->f,
                  spec->name);
      return FALSE;
    }
  gint64 integer = number->is_int ? number->i : (gint64) number->f;
  g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT, integer);
  if (!cnnfilt_op_set_property_from_string (ctx->op, spec->name, text, error))
    {
      g_prefix_error (error, "%s: ", source);
      node_prefix_error (error, ctx);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_tensor (NodeCtx *ctx, GParamSpec *spec, const Onnx__TensorProto *tensor, gboolean align,
            const gchar *source, GError **error)
{
  g_autoptr (CnnfiltTensor) value = tensor_to_cnnfilt (ctx->imp, tensor, align ? ctx->first_rank : -1,
                                                       source, error);
  if (value == NULL)
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  g_object_set (ctx->op, spec->name, value, NULL);
  return TRUE;
}

/* Applies what the node gives for one mapping entry to the op. */
static gboolean
apply_mapping (NodeCtx *ctx, Mapping *mapping, Arg *arg, GError **error)
{
  guint n_targets = g_strv_length (mapping->targets);
  if (n_targets == 0)
    return TRUE; /* accepted and ignored */

  if (arg->kind == ARG_STRING)
    {
      GParamSpec *spec = NULL;
      gdouble must = 0;
      if (n_targets != 1 || parse_target_number (mapping->targets[0], &must))
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "%s: '%s' is not supported",
                      arg->source, arg->string);
          return FALSE;
        }
      if ((spec = find_property (ctx, mapping->targets[0], mapping->name, error)) == NULL)
        return FALSE;
      g_autofree gchar *text = G_TYPE_IS_ENUM (G_PARAM_SPEC_VALUE_TYPE (spec))
                                 ? enum_nick (arg->string) : g_strdup (arg->string);
      if (!cnnfilt_op_set_property_from_string (ctx->op, spec->name, text, error))
        {
          g_prefix_error (error, "%s: ", arg->source);
          node_prefix_error (error, ctx);
          return FALSE;
        }
      return TRUE;
    }

  if (arg->kind == ARG_TENSOR && n_targets == 1 &&
      !parse_target_number (mapping->targets[0], &(gdouble) { 0 }))
    {
      GParamSpec *spec = find_property (ctx, mapping->targets[0], mapping->name, error);
      if (spec == NULL)
        return FALSE;
      if (is_tensor_property (spec))
        return set_tensor (ctx, spec, arg->tensor, FALSE, arg->source, error);
    }
  if (arg->kind == ARG_TENSOR && arg->numbers == NULL)
    arg->numbers = tensor_numbers (ctx->imp, arg->tensor);

  guint n = arg->numbers->len;
  if (n > n_targets || (n < n_targets && !mapping->open))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s has %u value%s; %s%u supported", arg->source, n, n == 1 ? "" : "s",
                  mapping->open ? "at most " : "", n_targets);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      Number number = g_array_index (arg->numbers, Number, i);
      const gchar *target = mapping->targets[i];
      gdouble must = 0;
      if (parse_target_number (target, &must))
        {
          if (number.f != must)
            {
              g_autofree gchar *where = n > 1 ? g_strdup_printf (" value %u", i) : g_strdup ("");
              node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                          "%s%s is %g; only %g is supported", arg->source, where, number.f, must);
              return FALSE;
            }
          continue;
        }
      if (*target == '\0')
        continue;
      if (g_str_equal (mapping->name, "axis") && number.is_int && number.i < 0)
        {
          /* numpy-style negative axes count from the end of the ONNX rank */
          if (ctx->first_rank < 0)
            {
              node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                          "%s is negative and the input's rank is unknown", arg->source);
              return FALSE;
            }
          number.i += ctx->first_rank;
          number.f = number.i;
        }
      GParamSpec *spec = find_property (ctx, target, mapping->name, error);
      if (spec == NULL)
        return FALSE;
      if (is_tensor_property (spec))
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "%s: a tensor is needed for property '%s'", arg->source, spec->name);
          return FALSE;
        }
      if (!set_number (ctx, spec, &number, arg->source, error))
        return FALSE;
    }
  return TRUE;
}

/* An Arg from a DEFAULT of the mapping: numbers, or one string. */
static Arg *
default_arg (const Mapping *mapping)
{
  Arg *arg = g_new0 (Arg, 1);
  arg->source = g_strdup_printf ("attribute '%s' (default %s)", mapping->name, mapping->default_text);
  g_auto (GStrv) parts = g_strsplit (mapping->default_text, ",", -1);
  arg->kind = ARG_NUMBERS;
  arg->numbers = g_array_new (FALSE, TRUE, sizeof (Number));
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gchar *end = NULL;
      Number number = { FALSE, 0, 0 };
      if (g_ascii_string_to_signed (parts[i], 10, G_MININT64, G_MAXINT64, &number.i, NULL))
        {
          number.is_int = TRUE;
          number.f = number.i;
        }
      else
        {
          number.f = g_ascii_strtod (parts[i], &end);
          if (*parts[i] == '\0' || end == NULL || *end != '\0')
            {
              /* not a number: a string such as an enum value */
              g_array_set_size (arg->numbers, 0);
              arg->kind = ARG_STRING;
              arg->string = g_strdup (mapping->default_text);
              return arg;
            }
        }
      g_array_append_val (arg->numbers, number);
    }
  return arg;
}

static Arg *
attribute_arg (NodeCtx *ctx, const Onnx__AttributeProto *attribute, GError **error)
{
  g_autofree gchar *source = g_strdup_printf ("attribute '%s'", nonnull (attribute->name));
  if (attribute->ref_attr_name != NULL && *attribute->ref_attr_name != '\0')
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT,
                  "%s refers to a function attribute, outside a function", source);
      return NULL;
    }
  Arg *arg = g_new0 (Arg, 1);
  arg->source = g_steal_pointer (&source);
  arg->kind = ARG_NUMBERS;
  switch (attribute->type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      {
        gboolean ints = attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ||
                        attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        gboolean list = attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ||
                        attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        if (!list && !(ints ? attribute->has_i : attribute->has_f))
          {
            node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s has no value", arg->source);
            arg_free (arg);
            return NULL;
          }
        gsize n = !list ? 1 : ints ? attribute->n_ints : attribute->n_floats;
        arg->numbers = g_array_sized_new (FALSE, TRUE, sizeof (Number), n);
        for (gsize i = 0; i < n; i++)
          {
            Number number = { ints, 0, 0 };
            if (ints)
              number.f = number.i = list ? attribute->ints[i] : attribute->i;
            else
              number.f = list ? attribute->floats[i] : attribute->f;
            g_array_append_val (arg->numbers, number);
          }
        return arg;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      if (!attribute->has_s)
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s has no value", arg->source);
          arg_free (arg);
          return NULL;
        }
      arg->kind = ARG_STRING;
      arg->string = attribute->s.data ? g_strndup ((const gchar *) attribute->s.data, attribute->s.len)
                                      : g_strdup ("");
      return arg;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
      if (attribute->t == NULL || !check_tensor (ctx->imp, attribute->t, arg->source, error))
        {
          if (attribute->t == NULL)
            node_error (error, ctx, CNNFILT_ERROR_FORMAT, "%s has no tensor", arg->source);
          else
            node_prefix_error (error, ctx);
          arg_free (arg);
          return NULL;
        }
      arg->kind = ARG_TENSOR;
      arg->tensor = attribute->t;
      return arg;
    default:
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s: attributes of type %d (graphs, sparse tensors, string lists, types) "
                  "are not supported", arg->source, attribute->type);
      arg_free (arg);
      return NULL;
    }
}

/* ---- Nodes -------------------------------------------------------------- */

/* A Constant node: its value becomes a constant value of the importer. */
static gboolean
import_constant (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  if (proto->n_attribute != 1 || proto->attribute[0]->name == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "a Constant needs exactly one attribute");
      return FALSE;
    }
  const Onnx__AttributeProto *attribute = proto->attribute[0];
  const gchar *name = attribute->name;
  Onnx__TensorProto *tensor = NULL;
  if (g_str_equal (name, "value") && attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR &&
      attribute->t != NULL)
    tensor = attribute->t;
  else if ((g_str_equal (name, "value_float") && attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT &&
            attribute->has_f) ||
           (g_str_equal (name, "value_floats") && attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS) ||
           (g_str_equal (name, "value_int") && attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT &&
            attribute->has_i) ||
           (g_str_equal (name, "value_ints") && attribute->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS))
    {
      gboolean floats = g_str_has_prefix (name, "value_float");
      gboolean list = g_str_has_suffix (name, "s");
      tensor = g_new0 (Onnx__TensorProto, 1);
      onnx__tensor_proto__init (tensor);
      g_ptr_array_add (imp->synthetic, tensor);
      tensor->has_data_type = TRUE;
      tensor->data_type = floats ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                                 : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
      if (list)
        {
          tensor->n_dims = 1;
          tensor->dims = g_new (int64_t, 1);
          tensor->dims[0] = floats ? attribute->n_floats : attribute->n_ints;
        }
      if (floats)
        {
          tensor->n_float_data = list ? attribute->n_floats : 1;
          tensor->float_data = list ? attribute->floats : (float *) &attribute->f;
        }
      else
        {
          tensor->n_int64_data = list ? attribute->n_ints : 1;
          tensor->int64_data = list ? attribute->ints : (int64_t *) &attribute->i;
        }
    }
  else
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "attribute '%s' of type %d is not supported (value, value_float(s) and "
                  "value_int(s), with their values, are)", name, attribute->type);
      return FALSE;
    }
  g_autofree gchar *what = g_strdup_printf ("attribute '%s'", name);
  if (!check_tensor (imp, tensor, what, error))
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  Value *value = add_value (imp, proto->output[0]);
  value->constant = tensor;
  value_set_dims (value, tensor->n_dims, tensor->dims);
  return TRUE;
}


/* ---- Shape computations folded at import --------------------------------
 *
 * Exporters compute the target shapes of Reshape with Shape, Gather,
 * Unsqueeze, Squeeze, Concat and Cast (x.view(x.size(0), -1) in PyTorch).
 * These run here, on ShapeElem lists; sizes known only when the graph runs
 * stay symbolic, and Reshape turns "dim k of its own input" into 0 (keep
 * that dim). Anything else on them is refused, naming the node. */

static gboolean
is_shape_op (const gchar *op_type)
{
  static const gchar *const ops[] = { "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", NULL };
  return g_strv_contains (ops, op_type);
}

/* The elements of a folded value, or of an integer constant of rank 0 or 1;
 * NULL otherwise. *@scalar tells rank 0. */
static GArray *
shape_elems (Importer *imp, const Value *value, gboolean *scalar)
{
  if (value == NULL)
    return NULL;
  if (value->folded != NULL)
    {
      *scalar = value->rank == 0;
      return g_array_ref (value->folded);
    }
  const Onnx__TensorProto *t = value->constant;
  if (t == NULL || t->n_dims > 1 ||
      (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
       t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32))
    return NULL;
  g_autoptr (GArray) numbers = tensor_numbers (imp, t);
  GArray *elems = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < numbers->len; i++)
    {
      ShapeElem e = { g_array_index (numbers, Number, i).i, NULL, 0 };
      g_array_append_val (elems, e);
    }
  *scalar = t->n_dims == 0;
  return elems;
}

static gint64
int_attribute (const Onnx__NodeProto *proto, const gchar *name, gint64 fallback, gboolean *given)
{
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, name) == 0 && proto->attribute[i]->has_i)
      {
        if (given)
          *given = TRUE;
        return proto->attribute[i]->i;
      }
  return fallback;
}

/* The axes of Unsqueeze/Squeeze (attribute before opset 13, input after);
 * TRUE when they are exactly {0}, or absent where @absent_ok. */
static gboolean
axes_are_zero (Importer *imp, const Onnx__NodeProto *proto, gboolean absent_ok)
{
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "axes") == 0)
      return proto->attribute[i]->n_ints == 1 && proto->attribute[i]->ints[0] == 0;
  if (proto->n_input > 1 && *proto->input[1])
    {
      gboolean scalar;
      g_autoptr (GArray) axes = shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                             &scalar);
      return axes != NULL && axes->len == 1 && g_array_index (axes, ShapeElem, 0).of == NULL &&
             g_array_index (axes, ShapeElem, 0).number == 0;
    }
  return absent_ok;
}

/* An int64 tensor of @n values (a scalar when @scalar) made by the
 * importer, freed with it; the caller fills int64_data. */
static Onnx__TensorProto *
synthetic_int64 (Importer *imp, guint n, gboolean scalar)
{
  Onnx__TensorProto *tensor = g_new0 (Onnx__TensorProto, 1);
  onnx__tensor_proto__init (tensor);
  g_ptr_array_add (imp->synthetic, tensor);
  tensor->has_data_type = TRUE;
  tensor->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  tensor->n_dims = scalar ? 0 : 1;
  tensor->dims = g_new (int64_t, 1);
  tensor->dims[0] = n;
  tensor->n_int64_data = n;
  tensor->int64_data = g_new0 (int64_t, MAX (n, 1));
  g_ptr_array_add (imp->owned, tensor->int64_data);
  return tensor;
}

/* Runs a shape computation node at import. FALSE with @error when it does
 * not compute a shape from shapes and constants. */
static gboolean
fold_shape_node (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const gchar *op_type = nonnull (proto->op_type);
  Value *first = proto->n_input > 0 ? g_hash_table_lookup (imp->values, proto->input[0]) : NULL;
  gboolean scalar = FALSE, in_scalar = FALSE;
  g_autoptr (GArray) in = NULL;
  GArray *out = NULL;
  const gchar *why = NULL;

  if (first == NULL)
    why = "it has no input";
  else if (g_str_equal (op_type, "Shape"))
    {
      gboolean given = FALSE;
      gint64 start = int_attribute (proto, "start", 0, NULL), end = int_attribute (proto, "end", 0, &given);
      if (first->rank < 0)
        why = "the rank of its input is not known";
      else
        {
          gint r = first->rank;
          start = CLAMP (start < 0 ? start + r : start, 0, r);
          end = given ? CLAMP (end < 0 ? end + r : end, 0, r) : r;
          out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
          for (gint64 k = start; k < end; k++)
            {
              ShapeElem e = { first->dims[k], first->dims[k] > 0 ? NULL : first, (gint) k };
              g_array_append_val (out, e);
            }
        }
    }
  else if ((in = shape_elems (imp, first, &in_scalar)) == NULL)
    why = "its input is neither a shape nor an integer constant";
  else if (g_str_equal (op_type, "Gather"))
    {
      gboolean index_scalar;
      g_autoptr (GArray) indices = proto->n_input > 1
          ? shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]), &index_scalar)
          : NULL;
      if (int_attribute (proto, "axis", 0, NULL) != 0 || in_scalar)
        why = "only axis 0 of a 1-D shape is supported";
      else if (indices == NULL)
        why = "its indices are not constant";
      else
        {
          out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
          for (guint i = 0; i < indices->len && why == NULL; i++)
            {
              const ShapeElem *index = &g_array_index (indices, ShapeElem, i);
              gint64 k = index->number < 0 ? index->number + in->len : index->number;
              if (index->of != NULL || k < 0 || k >= in->len)
                why = "an index is out of range";
              else
                g_array_append_val (out, g_array_index (in, ShapeElem, k));
            }
          scalar = index_scalar;
        }
    }
  else if (g_str_equal (op_type, "Unsqueeze"))
    {
      if (!in_scalar || !axes_are_zero (imp, proto, FALSE))
        why = "only a scalar made a 1-D shape (axes [0]) is supported";
      else
        out = g_array_ref (in);
    }
  else if (g_str_equal (op_type, "Squeeze"))
    {
      if (in_scalar || in->len != 1 || !axes_are_zero (imp, proto, TRUE))
        why = "only a 1-D shape of one value made a scalar is supported";
      else
        out = g_array_ref (in), scalar = TRUE;
    }
  else if (g_str_equal (op_type, "Cast"))
    {
      gint64 to = int_attribute (proto, "to", 0, NULL);
      if (to != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && to != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
        why = "only casts to integers are supported";
      else
        out = g_array_ref (in), scalar = in_scalar;
    }
  else /* Concat */
    {
      if (int_attribute (proto, "axis", 0, NULL) != 0 || in_scalar)
        why = "only axis 0 of 1-D shapes is supported";
      else
        {
          out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
          for (gsize i = 0; i < proto->n_input && why == NULL; i++)
            {
              gboolean part_scalar;
              g_autoptr (GArray) part =
                  shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[i]), &part_scalar);
              if (part == NULL || part_scalar)
                why = "not all its inputs are 1-D shapes";
              else
                g_array_append_vals (out, part->data, part->len);
            }
        }
    }
  if (why != NULL)
    {
      if (out)
        g_array_unref (out);
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "only shape computations that fold at import are supported, and here %s", why);
      return FALSE;
    }
  Value *value = add_value (imp, proto->output[0]);
  value->folded = out;
  value->rank = scalar ? 0 : 1;
  value->dims[0] = scalar ? -1 : (gint64) out->len;
  /* all numbers: an ordinary constant too, for any op that reads one */
  gboolean known = TRUE;
  for (guint i = 0; i < out->len; i++)
    known = known && g_array_index (out, ShapeElem, i).of == NULL;
  if (known)
    {
      Onnx__TensorProto *tensor = synthetic_int64 (imp, out->len, scalar);
      for (guint i = 0; i < out->len; i++)
        tensor->int64_data[i] = g_array_index (out, ShapeElem, i).number;
      value->constant = tensor;
    }
  return TRUE;
}

/* The target shape of a Reshape of @data from a folded shape: a size only
 * known at run time must be the same dim of @data (or the batch), which
 * Reshape writes as 0, "keep". NULL with @error otherwise. */
static const Onnx__TensorProto *
reshape_target (NodeCtx *ctx, const Value *shape, const Value *data, GError **error)
{
  Importer *imp = ctx->imp;
  GArray *elems = shape->folded;
  Onnx__TensorProto *tensor = synthetic_int64 (imp, elems->len, FALSE);
  for (guint k = 0; k < elems->len; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      if (e->of == NULL)
        tensor->int64_data[k] = e->number;
      else if (e->dim == (gint) k && (e->of == data || k == 0))
        tensor->int64_data[k] = 0; /* the same dim of the input: the batch, say */
      else
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "the target shape's value %u is a size known only when the graph runs "
                      "(dim %d of another tensor)", k, e->dim);
          return NULL;
        }
    }
  return tensor;
}

/* Output ranks that are not the first input's (nor, for several data
 * inputs, the largest of theirs). */
static gint
output_rank_rule (const gchar *op_type, gint shape_length)
{
  if (g_str_equal (op_type, "Flatten") || g_str_equal (op_type, "Gemm"))
    return 2;
  if (g_str_equal (op_type, "Reshape"))
    return shape_length;
  return -1;
}

static gboolean
import_node (Importer *imp, const Onnx__NodeProto *proto, guint index, GError **error)
{
  const gchar *op_type = nonnull (proto->op_type);
  g_autofree gchar *fallback_label = g_strdup_printf ("#%u", index);
  NodeCtx ctx = { imp, proto, NULL, NULL, -1 };
  ctx.label = proto->name && *proto->name ? proto->name
              : proto->n_output > 0 && *proto->output[0] ? proto->output[0] : fallback_label;

  if (proto->n_output == 0 || *proto->output[0] == '\0')
    {
      node_error (error, &ctx, CNNFILT_ERROR_FORMAT, "the node has no output");
      return FALSE;
    }
  for (gsize i = 0; i < proto->n_output; i++)
    if (*proto->output[i] != '\0' && g_hash_table_contains (imp->values, proto->output[i]))
      {
        node_error (error, &ctx, CNNFILT_ERROR_FORMAT,
                    "output '%s' is already produced by an earlier node or input",
                    proto->output[i]);
        return FALSE;
      }
  for (gsize i = 1; i < proto->n_output; i++)
    if (*proto->output[i] != '\0' && g_hash_table_contains (imp->consumed, proto->output[i]))
      {
        node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                    "output %" G_GSIZE_FORMAT " ('%s') is used, and only a node's first "
                    "output is supported", i, proto->output[i]);
        return FALSE;
      }
  for (gsize i = 0; i < proto->n_input; i++)
    if (*proto->input[i] != '\0' && !g_hash_table_contains (imp->values, proto->input[i]))
      {
        node_error (error, &ctx, CNNFILT_ERROR_FORMAT,
                    "input '%s' is neither a graph input, an initializer nor the output of an "
                    "earlier node (nodes must be in topological order)", proto->input[i]);
        return FALSE;
      }
  g_autoptr (GHashTable) attribute_names = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (!g_hash_table_add (attribute_names, (gpointer) nonnull (proto->attribute[i]->name)))
      {
        node_error (error, &ctx, CNNFILT_ERROR_FORMAT, "attribute '%s' is given twice",
                    nonnull (proto->attribute[i]->name));
        return FALSE;
      }

  if (g_str_equal (op_type, "Constant"))
    return import_constant (&ctx, error);
  if (is_shape_op (op_type))
    return fold_shape_node (&ctx, error);
  if (g_str_equal (op_type, "Concat") && proto->n_input > 0)
    {
      /* of shapes (any input folded, all shapes or integer constants): folded */
      gboolean shapes = TRUE, any_folded = FALSE, scalar;
      for (gsize i = 0; i < proto->n_input && shapes; i++)
        {
          Value *v = g_hash_table_lookup (imp->values, proto->input[i]);
          g_autoptr (GArray) e = shape_elems (imp, v, &scalar);
          shapes = e != NULL;
          any_folded = any_folded || (v != NULL && v->folded != NULL);
        }
      if (shapes && any_folded)
        return fold_shape_node (&ctx, error);
    }
  if (g_str_equal (op_type, "Identity") && proto->n_input == 1 && proto->n_attribute == 0)
    {
      /* Identity of a constant is that constant: PyTorch writes equal
       * initializers once and renames the copies through Identity nodes. */
      Value *source = g_hash_table_lookup (imp->values, proto->input[0]);
      if (source != NULL && source->constant != NULL)
        {
          Value *alias = add_value (imp, proto->output[0]);
          alias->constant = source->constant;
          value_set_dims (alias, source->rank, source->dims);
          return TRUE;
        }
    }

  GType type = cnnfilt_registry_lookup_onnx (op_type);
  g_return_val_if_fail (type != G_TYPE_INVALID, FALSE); /* checked by the caller */
  g_autoptr (CnnfiltOp) op = g_object_new (type, NULL);
  ctx.op = op;
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);

  g_auto (GStrv) entries = NULL;
  if (klass->onnx_inputs != NULL)
    entries = split_words (klass->onnx_inputs);
  else
    {
      /* as many data inputs as the op takes; any number for n_inputs 0 */
      guint n = klass->n_inputs == 0 ? MAX (proto->n_input, 1) : klass->n_inputs;
      entries = g_new0 (gchar *, n + 1);
      for (guint i = 0; i < n; i++)
        entries[i] = g_strdup ("-");
    }
  guint n_entries = g_strv_length (entries);

  /* The ranks of the inputs, first of all of the first. */
  if (proto->n_input > 0 && *proto->input[0] != '\0')
    ctx.first_rank = ((Value *) g_hash_table_lookup (imp->values, proto->input[0]))->rank;

  g_autoptr (GPtrArray) mappings = parse_mappings (&ctx, klass->onnx_attributes, error);
  if (mappings == NULL)
    return FALSE;

  /* Inputs: data inputs are edges; the others are constants applied as an
   * attribute or set as a property. */
  g_autoptr (GPtrArray) data_names = g_ptr_array_new (); /* ONNX names */
  gint shape_length = -1;
  for (gsize i = 0; i < proto->n_input; i++)
    {
      const gchar *name = proto->input[i];
      if (*name == '\0')
        continue; /* an optional input left out */
      if (i >= n_entries)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "input %" G_GSIZE_FORMAT " ('%s') is not supported (the op takes %u)", i,
                      name, n_entries);
          return FALSE;
        }
      Value *value = g_hash_table_lookup (imp->values, name);
      if (g_str_equal (entries[i], "-"))
        {
          g_ptr_array_add (data_names, (gpointer) name);
          continue;
        }
      const Onnx__TensorProto *constant = value->constant;
      if (constant == NULL && value->folded != NULL && g_str_equal (op_type, "Reshape") &&
          g_str_equal (entries[i], "shape") && proto->n_input > 0)
        {
          constant = reshape_target (&ctx, value, g_hash_table_lookup (imp->values, proto->input[0]),
                                     error);
          if (constant == NULL)
            return FALSE;
        }
      if (constant == NULL)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "input %" G_GSIZE_FORMAT " ('%s') must be a constant (an initializer "
                      "or a Constant node), not computed", i, name);
          return FALSE;
        }
      g_autofree gchar *key = g_strdup (entries[i]);
      gboolean align = g_str_has_suffix (key, "^");
      if (align)
        key[strlen (key) - 1] = '\0';
      g_autofree gchar *source = g_strdup_printf ("input %" G_GSIZE_FORMAT " ('%s')", i, name);
      Mapping *mapping = find_mapping (mappings, key);
      if (mapping != NULL)
        {
          if (mapping->arg != NULL)
            {
              node_error (error, &ctx, CNNFILT_ERROR_FORMAT, "%s and %s both set '%s'",
                          mapping->arg->source, source, key);
              return FALSE;
            }
          mapping->arg = g_new0 (Arg, 1);
          mapping->arg->kind = ARG_TENSOR;
          mapping->arg->tensor = constant;
          mapping->arg->source = g_steal_pointer (&source);
          if (g_str_equal (key, "shape"))
            shape_length = tensor_n_elements (constant);
          continue;
        }
      GParamSpec *spec = find_property (&ctx, key, "an input", error);
      if (spec == NULL)
        return FALSE;
      if (is_tensor_property (spec))
        {
          if (!set_tensor (&ctx, spec, constant, align, source, error))
            return FALSE;
          continue;
        }
      g_autoptr (GArray) numbers = tensor_numbers (imp, constant);
      if (numbers->len != 1)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "%s has %u values; property '%s' takes one", source, numbers->len,
                      spec->name);
          return FALSE;
        }
      if (!set_number (&ctx, spec, &g_array_index (numbers, Number, 0), source, error))
        return FALSE;
    }

  /* Attributes, then the defaults of those the node leaves out. */
  for (gsize i = 0; i < proto->n_attribute; i++)
    {
      const gchar *name = nonnull (proto->attribute[i]->name);
      Mapping *mapping = find_mapping (mappings, name);
      if (mapping == NULL)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED, "attribute '%s' is not supported",
                      name);
          return FALSE;
        }
      if (mapping->arg != NULL)
        {
          node_error (error, &ctx, CNNFILT_ERROR_FORMAT, "%s and attribute '%s' both set '%s'",
                      mapping->arg->source, name, name);
          return FALSE;
        }
      if ((mapping->arg = attribute_arg (&ctx, proto->attribute[i], error)) == NULL)
        return FALSE;
      if (g_str_equal (name, "shape") && mapping->arg->numbers != NULL)
        shape_length = mapping->arg->numbers->len;
    }
  for (guint i = 0; i < mappings->len; i++)
    {
      Mapping *mapping = mappings->pdata[i];
      if (mapping->arg == NULL && mapping->default_text != NULL)
        mapping->arg = default_arg (mapping);
      if (mapping->arg != NULL && !apply_mapping (&ctx, mapping, mapping->arg, error))
        return FALSE;
    }

  if (imp->opset < 13 && (g_str_equal (op_type, "Softmax") || g_str_equal (op_type, "LogSoftmax") ||
                          g_str_equal (op_type, "Hardmax")))
    {
      /* Before opset 13 these flatten the dims from axis on (default 1)
       * into one; that is a softmax along one dim only when axis is the
       * last. Refused otherwise rather than computed differently. */
      gint64 axis = 1;
      for (gsize i = 0; i < proto->n_attribute; i++)
        if (g_strcmp0 (proto->attribute[i]->name, "axis") == 0)
          axis = proto->attribute[i]->i;
      if (ctx.first_rank < 0 || (axis < 0 ? axis + ctx.first_rank : axis) != ctx.first_rank - 1)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "before opset 13, axis %" G_GINT64_FORMAT " normalizes over all dims from "
                      "there on; only the last dim of the rank-%d input is supported", axis,
                      ctx.first_rank);
          return FALSE;
        }
    }
  if (data_names->len == 0 || (klass->n_inputs != 0 && data_names->len != klass->n_inputs))
    {
      node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%u data input%s given; op %s takes %s%u", data_names->len,
                  data_names->len == 1 ? "" : "s", klass->name,
                  klass->n_inputs == 0 ? "at least " : "", MAX (klass->n_inputs, 1));
      return FALSE;
    }
  if (!cnnfilt_op_validate (op, error))
    {
      node_prefix_error (error, &ctx);
      return FALSE;
    }

  /* Several data inputs of different ranks broadcast numpy-style, aligned
   * at their last dims: lift the lower ranks with leading 1s. */
  gint max_rank = -1;
  gboolean ranks_known = TRUE;
  for (guint i = 0; i < data_names->len; i++)
    {
      Value *value = g_hash_table_lookup (imp->values, data_names->pdata[i]);
      max_rank = MAX (max_rank, value->rank);
      ranks_known = ranks_known && value->rank >= 0;
    }
  g_autofree const gchar **inputs = g_new0 (const gchar *, data_names->len + 1);
  for (guint i = 0; i < data_names->len; i++)
    {
      Value *value = g_hash_table_lookup (imp->values, data_names->pdata[i]);
      gint rank = data_names->len > 1 && ranks_known ? max_rank : -1;
      if ((inputs[i] = value_node (&ctx, data_names->pdata[i], value, rank, error)) == NULL)
        return FALSE;
    }

  /* The node's name: its own when it has a unique one that names no
   * other value, else its output's. */
  const gchar *wanted = proto->output[0];
  if (proto->name && *proto->name &&
      GPOINTER_TO_UINT (g_hash_table_lookup (imp->node_names, proto->name)) == 1 &&
      (!g_hash_table_contains (imp->all_values, proto->name) ||
       g_str_equal (proto->name, proto->output[0])))
    wanted = proto->name;
  g_autofree gchar *node_name = unique_name (imp, wanted);
  if (!cnnfilt_graph_add_node (imp->graph, node_name, op, inputs, error))
    {
      node_prefix_error (error, &ctx);
      return FALSE;
    }
  take_name (imp, node_name);

  /* The output's rank: declared, else by rule. */
  Value *output = add_value (imp, proto->output[0]);
  output->node = g_strdup (node_name);
  gint rank = -1;
  gint64 dims[MAX_RANK];
  gsize declared_rank = 0;
  if (declared_shape (g_hash_table_lookup (imp->declared, proto->output[0]), &rank, dims,
                      &declared_rank))
    {
      if (declared_rank > MAX_RANK)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "output '%s' has rank %" G_GSIZE_FORMAT "; at most %d dims are supported",
                      proto->output[0], declared_rank, MAX_RANK);
          return FALSE;
        }
      value_set_dims (output, rank, dims);
    }
  else
    {
      rank = output_rank_rule (op_type, shape_length);
      if (rank < 0)
        rank = data_names->len > 1 ? max_rank : ctx.first_rank;
      if (rank > MAX_RANK)
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "output '%s' has rank %d; at most %d dims are supported",
                      proto->output[0], rank, MAX_RANK);
          return FALSE;
        }
      value_set_dims (output, rank, NULL);
    }
  return TRUE;
}

/* ---- The model ---------------------------------------------------------- */

static gboolean
read_opset (Importer *imp, GError **error)
{
  imp->opset = -1;
  for (gsize i = 0; i < imp->model->n_opset_import; i++)
    {
      const Onnx__OperatorSetIdProto *entry = imp->model->opset_import[i];
      const gchar *domain = nonnull (entry->domain);
      if (*domain == '\0' || g_str_equal (domain, "ai.onnx"))
        imp->opset = entry->version;
    }
  if (imp->opset < 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "the model imports no opset of the default ONNX domain");
      return FALSE;
    }
  if (imp->opset < MIN_OPSET || imp->opset > MAX_OPSET)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "opset %" G_GINT64_FORMAT " is not supported (opsets %d to %d are)",
                   imp->opset, MIN_OPSET, MAX_OPSET);
      return FALSE;
    }
  return TRUE;
}

/* Every op the model needs, checked before any is imported, so that one
 * error lists all that are missing. */
static gboolean
check_ops (Importer *imp, GError **error)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  g_autoptr (GString) missing = g_string_new (NULL);
  const Onnx__NodeProto *first = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < graph->n_node; i++)
    {
      const Onnx__NodeProto *node = graph->node[i];
      const gchar *domain = nonnull (node->domain);
      NodeCtx ctx = { imp, node, NULL, NULL, -1 };
      ctx.label = node->name && *node->name ? node->name
                  : node->n_output > 0 ? node->output[0] : "";
      if (*domain != '\0' && !g_str_equal (domain, "ai.onnx"))
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "domain '%s' is not supported (only the default ONNX domain is)", domain);
          return FALSE;
        }
      const gchar *op_type = nonnull (node->op_type);
      if (g_str_equal (op_type, "Constant") || is_shape_op (op_type) ||
          cnnfilt_registry_lookup_onnx (op_type) != G_TYPE_INVALID)
        continue;
      if (first == NULL)
        first = node;
      else if (!g_hash_table_contains (seen, op_type))
        g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", op_type);
      g_hash_table_add (seen, (gpointer) op_type);
    }
  if (first != NULL)
    {
      NodeCtx ctx = { imp, first, NULL, NULL, -1 };
      ctx.label = first->name && *first->name ? first->name
                  : first->n_output > 0 ? first->output[0] : "";
      node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED, "no op implements %s%s%s",
                  nonnull (first->op_type), missing->len ? "; the model also uses " : "",
                  missing->str);
      return FALSE;
    }
  return TRUE;
}

static gboolean
import_inputs (Importer *imp, GError **error)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  for (gsize i = 0; i < graph->n_initializer; i++)
    {
      const Onnx__TensorProto *tensor = graph->initializer[i];
      const gchar *name = nonnull (tensor->name);
      g_autofree gchar *what = g_strdup_printf ("initializer '%s'", name);
      if (*name == '\0' || g_hash_table_contains (imp->values, name))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                       "%s: %s", what, *name ? "the name is used twice" : "it has no name");
          return FALSE;
        }
      if (!check_tensor (imp, tensor, what, error))
        return FALSE;
      Value *value = add_value (imp, name);
      value->constant = tensor;
      value_set_dims (value, tensor->n_dims, tensor->dims);
    }
  if (graph->n_sparse_initializer > 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "sparse initializers are not supported");
      return FALSE;
    }

  for (gsize i = 0; i < graph->n_input; i++)
    {
      const Onnx__ValueInfoProto *info = graph->input[i];
      const gchar *name = nonnull (info->name);
      Value *value = g_hash_table_lookup (imp->values, name);
      if (value != NULL && value->constant != NULL)
        continue; /* an initializer listed as an input (IR < 4): a constant */
      if (*name == '\0' || value != NULL)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT, "graph input '%s': %s", name,
                       *name ? "the name is used twice" : "it has no name");
          return FALSE;
        }
      const Onnx__TypeProto *type = info->type;
      if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
          type->tensor_type == NULL ||
          type->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                       "graph input '%s' is %s%s; only float32 tensors are supported", name,
                       type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                       type->tensor_type ? "a tensor of " : "not a tensor",
                       type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                       type->tensor_type ? data_type_name (type->tensor_type->elem_type) : "");
          return FALSE;
        }
      value = add_value (imp, name);
      gint rank = -1;
      gint64 dims[MAX_RANK];
      gsize declared_rank = 0;
      if (declared_shape (info, &rank, dims, &declared_rank))
        {
          if (declared_rank > MAX_RANK)
            {
              g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                           "graph input '%s' has rank %" G_GSIZE_FORMAT "; at most %d dims are "
                           "supported", name, declared_rank, MAX_RANK);
              return FALSE;
            }
          value_set_dims (value, rank, dims);
        }
      g_autofree gchar *node = unique_name (imp, name);
      if (!cnnfilt_graph_add_input (imp->graph, node, error))
        return FALSE;
      if (rank >= 1)
        {
          /* 4-D or fewer, padded with trailing 1s as tensors are; free dims 0 */
          guint d[4] = { 1, 1, 1, 1 };
          for (gint k = 0; k < rank && k < 4; k++)
            d[k] = dims[k] > 0 && dims[k] <= G_MAXUINT ? (guint) dims[k] : 0;
          CnnfiltShape expected = { d[0], d[1], d[2], d[3] };
          cnnfilt_graph_set_input_shape (imp->graph, cnnfilt_graph_get_n_inputs (imp->graph) - 1,
                                         &expected);
        }
      take_name (imp, node);
      value->node = g_steal_pointer (&node);
    }
  return TRUE;
}

static gboolean
import_outputs (Importer *imp, GError **error)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  if (graph->n_output == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT, "the graph has no outputs");
      return FALSE;
    }
  for (gsize i = 0; i < graph->n_output; i++)
    {
      const gchar *name = nonnull (graph->output[i]->name);
      Value *value = g_hash_table_lookup (imp->values, name);
      if (value == NULL)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                       "graph output '%s' is produced by no node", name);
          return FALSE;
        }
      Onnx__NodeProto none = ONNX__NODE_PROTO__INIT;
      none.op_type = (gchar *) "output";
      NodeCtx ctx = { imp, &none, name, NULL, -1 };
      const gchar *node = value_node (&ctx, name, value, -1, error);
      if (node == NULL || !cnnfilt_graph_add_output (imp->graph, node, error))
        return FALSE;
    }
  return TRUE;
}

static void
count_names (Importer *imp)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  for (gsize i = 0; i < graph->n_node; i++)
    {
      const Onnx__NodeProto *node = graph->node[i];
      if (node->name && *node->name)
        g_hash_table_insert (imp->node_names, node->name,
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (imp->node_names, node->name)) + 1));
      for (gsize j = 0; j < node->n_input; j++)
        g_hash_table_add (imp->consumed, node->input[j]);
      for (gsize j = 0; j < node->n_output; j++)
        g_hash_table_add (imp->all_values, node->output[j]);
    }
  for (gsize i = 0; i < graph->n_output; i++)
    if (graph->output[i]->name)
      {
        g_hash_table_add (imp->consumed, graph->output[i]->name);
        g_hash_table_insert (imp->declared, graph->output[i]->name, graph->output[i]);
      }
  for (gsize i = 0; i < graph->n_value_info; i++)
    if (graph->value_info[i]->name)
      g_hash_table_insert (imp->declared, graph->value_info[i]->name, graph->value_info[i]);
  for (gsize i = 0; i < graph->n_input; i++)
    if (graph->input[i]->name)
      g_hash_table_add (imp->all_values, graph->input[i]->name);
  for (gsize i = 0; i < graph->n_initializer; i++)
    if (graph->initializer[i]->name)
      g_hash_table_add (imp->all_values, graph->initializer[i]->name);
}

static CnnfiltGraph *
import_model (const guint8 *data, gsize length, const gchar *base_dir, GError **error)
{
  cnnfilt_init (NULL);
  Importer imp = { 0 };
  imp.base_dir = g_strdup (base_dir);

  if (!check_nesting (data, length, &onnx__model_proto__descriptor, 0))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "not an ONNX model: the protobuf encoding is truncated or malformed, or "
                   "nested more than %d levels deep", MAX_NESTING);
      importer_clear (&imp);
      return NULL;
    }
  imp.model = onnx__model_proto__unpack (&message_allocator, length, data);
  if (imp.model == NULL || imp.model->graph == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   imp.model == NULL ? "not an ONNX model: the protobuf encoding is truncated "
                                       "or malformed"
                                     : "not an ONNX model: it has no graph");
      importer_clear (&imp);
      return NULL;
    }
  imp.graph = cnnfilt_graph_new ();
  imp.values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
  imp.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  imp.aligned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  imp.consumed = g_hash_table_new (g_str_hash, g_str_equal);
  imp.node_names = g_hash_table_new (g_str_hash, g_str_equal);
  imp.all_values = g_hash_table_new (g_str_hash, g_str_equal);
  imp.declared = g_hash_table_new (g_str_hash, g_str_equal);
  imp.external = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                        (GDestroyNotify) g_bytes_unref);
  imp.synthetic = g_ptr_array_new_with_free_func (synthetic_free);
  imp.owned = g_ptr_array_new_with_free_func (g_free);
  count_names (&imp);

  gboolean ok = read_opset (&imp, error) && check_ops (&imp, error) && import_inputs (&imp, error);
  for (gsize i = 0; ok && i < imp.model->graph->n_node; i++)
    ok = import_node (&imp, imp.model->graph->node[i], i, error);
  ok = ok && import_outputs (&imp, error);

  CnnfiltGraph *graph = ok ? g_steal_pointer (&imp.graph) : NULL;
  importer_clear (&imp);
  if (error != NULL && *error != NULL)
    {
      /* Messages quote the file's names and strings, in many places. */
      gchar *message = valid_utf8 ((*error)->message);
      g_free ((*error)->message);
      (*error)->message = message;
    }
  return graph;
}

/**
 * cnnfilt_graph_new_from_onnx_bytes:
 * @bytes: a serialized ONNX ModelProto
 * @error: return location for a #GError
 *
 * Builds a graph from an ONNX model: one node per ONNX node, named after
 * the node (or its output where the node has no unique name); the graph's
 * inputs are the model's inputs that are not initializers, in order, and
 * its outputs the model's outputs. Ops come from the plugins by ONNX
 * op_type. Tensors are float32 of rank at most 4, stored with trailing 1s.
 * Opsets 9 to 17 of the default domain are read. A model that uses an op,
 * attribute or value this library does not support, or that is truncated
 * or malformed, gives an error naming the node, its op_type and the opset.
 * Names and strings of the file that are not UTF-8, as ONNX requires them
 * to be, appear in node names and error messages with each invalid byte
 * written as `\xNN`. Tensors kept in external files cannot be read from
 * bytes: use cnnfilt_graph_new_from_onnx_file().
 *
 * Returns: (transfer full): a new graph, or %NULL on error
 */
CnnfiltGraph *
cnnfilt_graph_new_from_onnx_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  return import_model (data, length, NULL, error);
}

/**
 * cnnfilt_graph_new_from_onnx_file:
 * @path: (type filename): an ONNX model file
 * @error: return location for a #GError
 *
 * Builds a graph from an ONNX model file, as
 * cnnfilt_graph_new_from_onnx_bytes() does; tensors kept in external data
 * files are read from files relative to the model's folder.
 *
 * Returns: (transfer full): a new graph, or %NULL on error
 */
CnnfiltGraph *
cnnfilt_graph_new_from_onnx_file (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", local->message);
      return NULL;
    }
  g_autofree gchar *dir = g_path_get_dirname (path);
  const guint8 *data = (const guint8 *) g_mapped_file_get_contents (file);
  CnnfiltGraph *graph = import_model (data ? data : (const guint8 *) "",
                                      g_mapped_file_get_length (file), dir, error);
  if (graph == NULL)
    {
      g_autofree gchar *shown = g_filename_display_name (path);
      g_prefix_error (error, "%s: ", shown);
    }
  return graph;
}
