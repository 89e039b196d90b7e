/* cnnfilt-onnx-decode.c: the ONNX protobuf decoded, and the tensors read out of it
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * protobuf-c decodes the model with code generated at build time from the
 * system's onnx.proto. Everything read from the model is checked before
 * use: nesting depth before protobuf-c recurses, tensor sizes against the
 * data present (inline, or in an external file beside the model). The
 * tensors are initializers, attributes and the values of Constant nodes.
 */
#include "cnnfilt-onnx-private.h"
#include "cnnfilt-tensor-private.h"

#include <stdlib.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Nested messages (graphs in attributes, sequence types) deeper than this
 * are refused before protobuf-c, which recurses once per level, sees them. */
#define MAX_NESTING 64
/* Per tensor: 8 GiB of float32, beyond any CNN layer; mostly a guard
 * against dims whose product overflows. */
#define MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 31)

/* ---- The decoder -------------------------------------------------------- */

/* Names and messages are small and many; the float arrays of models that
 * store weights as float_data are large buffers like tensors. Memory inside
 * the encoded model (allocator_data, a GBytes) is the model's own: the
 * initializers' raw_data borrowed from it (see decode_model) is not freed. */
static void *
message_alloc (void *data, size_t size)
{
  gsize bytes = size;
  if (size < (4 << 20))
    return malloc (MAX (size, 1));
  return _cnnfilt_alloc_large (&bytes);
}

static void
message_free (void *data, void *memory)
{
  gsize length = 0;
  const guint8 *source = g_bytes_get_data (data, &length);
  if (source != NULL && (const guint8 *) memory >= source && (const guint8 *) memory < source + length)
    return;
  free (memory);
}

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

/* Reads the field at *@pos of a message ending at @end: its tag, and
 * moves *@pos past its value; a length-delimited value (wire type 2) is
 * the @size bytes before the new *@pos. FALSE where the encoding is broken
 * or uses groups, which ONNX does not. */
static gboolean
read_field (const guint8 *data, gsize end, gsize *pos, guint64 *tag, guint64 *size)
{
  if (!read_varint (data, end, pos, tag))
    return FALSE;
  switch (*tag & 7)
    {
    case 0:
      return read_varint (data, end, pos, size);
    case 1:
    case 5:
      *size = (*tag & 7) == 1 ? 8 : 4;
      break;
    case 2:
      if (!read_varint (data, end, pos, size))
        return FALSE;
      break;
    default:
      return FALSE;
    }
  if (*size > end - *pos)
    return FALSE;
  *pos += *size;
  return TRUE;
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
      if (!read_field (data, length, &pos, &tag, &size))
        return FALSE;
      const ProtobufCFieldDescriptor *field =
        (tag & 7) == 2 && tag >> 3 <= G_MAXUINT
          ? protobuf_c_message_descriptor_get_field (descriptor, tag >> 3)
          : NULL;
      if (field != NULL && field->type == PROTOBUF_C_TYPE_MESSAGE &&
          !check_nesting (data + pos - size, size, field->descriptor, depth + 1))
        return FALSE;
    }
  return TRUE;
}

/* ---- Weights read in place ---------------------------------------------- */

/* protobuf-c copies every bytes field out of the buffer it decodes, and
 * the initializers' raw_data are most of a model: decoding the file as it
 * is holds the weights twice before the importer makes its tensors, three
 * times with those (1.65 GB for VGG-16's 553 MB). So the model is decoded
 * from a copy of its wire format without the initializers' raw_data, and
 * each initializer's raw_data then points into the encoded model, which
 * the importer keeps until it is done. */

typedef struct {
  gsize offset, length;
} Span;

/* The field numbers walked: ModelProto.graph, GraphProto.initializer,
 * TensorProto.raw_data. */
typedef struct {
  guint32 id[3];
} StripPath;

static void
put_varint (GByteArray *out, guint64 value)
{
  guint8 bytes[10];
  guint n = 0;
  do
    {
      bytes[n] = value & 0x7f;
      value >>= 7;
      if (value)
        bytes[n] |= 0x80;
      n++;
    }
  while (value);
  g_byte_array_append (out, bytes, n);
}

/* Appends to @out the message in @data[@start, @end), of the type at
 * @level of @path (0 the model, 1 its graph, 2 an initializer), without
 * the initializers' raw_data; appends to @spans, per initializer in order,
 * where its raw_data is in @data (the last one, as protobuf reads it;
 * length 0 for none). FALSE where the encoding is broken or the model has
 * more than one graph field, which protobuf merges: no spans then. */
static gboolean
strip_message (const guint8 *data, gsize start, gsize end, guint level, const StripPath *path,
               GByteArray *out, GArray *spans)
{
  Span raw = { 0, 0 };
  gboolean had_graph = FALSE;
  gsize pos = start;
  while (pos < end)
    {
      gsize field = pos;
      guint64 tag = 0, size = 0;
      if (!read_field (data, end, &pos, &tag, &size))
        return FALSE;
      if ((tag & 7) != 2 || tag >> 3 != path->id[level])
        {
          g_byte_array_append (out, data + field, pos - field);
          continue;
        }
      if (level == 2)
        {
          raw = (Span) { pos - size, size };
          continue;
        }
      if (level == 0 && had_graph)
        return FALSE;
      had_graph = TRUE;
      g_autoptr (GByteArray) inner = g_byte_array_new ();
      if (!strip_message (data, pos - size, pos, level + 1, path, inner, spans))
        return FALSE;
      put_varint (out, tag);
      put_varint (out, inner->len);
      g_byte_array_append (out, inner->data, inner->len);
    }
  if (level == 2)
    g_array_append_val (spans, raw);
  return TRUE;
}

/* The model unpacked from a copy without its initializers' raw_data, which
 * is then pointed into @data; NULL where the model has no such raw_data
 * (weights in float_data: the copy would be as large as the model), or
 * the copy does not decode. */
static Onnx__ModelProto *
unpack_in_place (const guint8 *data, gsize length, ProtobufCAllocator *allocator)
{
  StripPath path = { {
    protobuf_c_message_descriptor_get_field_by_name (&onnx__model_proto__descriptor, "graph")->id,
    protobuf_c_message_descriptor_get_field_by_name (&onnx__graph_proto__descriptor, "initializer")->id,
    protobuf_c_message_descriptor_get_field_by_name (&onnx__tensor_proto__descriptor, "raw_data")->id,
  } };
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));
  g_autoptr (GByteArray) stripped = g_byte_array_new ();
  if (!strip_message (data, 0, length, 0, &path, stripped, spans) || stripped->len == length)
    return NULL;
  Onnx__ModelProto *model = onnx__model_proto__unpack (allocator, stripped->len, stripped->data);
  if (model == NULL || model->graph == NULL || model->graph->n_initializer != spans->len)
    {
      if (model != NULL)
        onnx__model_proto__free_unpacked (model, allocator);
      return NULL;
    }
  for (guint i = 0; i < spans->len; i++)
    {
      Span *span = &g_array_index (spans, Span, i);
      Onnx__TensorProto *tensor = model->graph->initializer[i];
      if (span->length == 0)
        continue;
      tensor->has_raw_data = TRUE;
      tensor->raw_data.data = (guint8 *) data + span->offset;
      tensor->raw_data.len = span->length;
    }
  return model;
}

Onnx__ModelProto *
decode_model (GBytes *source, ProtobufCAllocator *allocator, GError **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (source, &length);
  if (data == NULL)
    data = (const guint8 *) "";
  *allocator = (ProtobufCAllocator) { message_alloc, message_free, source };
  if (!check_nesting (data, length, &onnx__model_proto__descriptor, 0))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "not an ONNX model: the protobuf encoding is truncated or malformed, or "
                   "nested more than %d levels deep", MAX_NESTING);
      return NULL;
    }
  Onnx__ModelProto *model = unpack_in_place (data, length, allocator);
  if (model == NULL)
    model = onnx__model_proto__unpack (allocator, length, data);
  if (model == NULL || model->graph == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   model == NULL ? "not an ONNX model: the protobuf encoding is truncated "
                                   "or malformed"
                                 : "not an ONNX model: it has no graph");
      model_free (model, allocator);
      return NULL;
    }
  return model;
}

void
model_free (Onnx__ModelProto *model, ProtobufCAllocator *allocator)
{
  if (model)
    onnx__model_proto__free_unpacked (model, allocator);
}

/* ---- Tensors ------------------------------------------------------------ */

const gchar *
data_type_name (gint type)
{
  static const gchar *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };
  return type >= 0 && type < (gint) G_N_ELEMENTS (names) ? names[type] : "unknown";
}

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

gint64
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

/* Once a tensor's floats are copied out of a mapped file (the model's, or
 * an external data file), their pages are dropped from the process: the
 * mapping is private and never written, so a second read faults them in
 * from the file again, and the file does not add itself to the import's
 * peak memory beside the tensors made from it. Only memory that is a
 * mapped file: dropping anonymous memory would zero it. The pages from the
 * one holding @raw to the one holding its last byte, that one excluded. */
static void
release_pages (Importer *imp, const Onnx__TensorProto *tensor, const guint8 *raw, gsize length)
{
#ifdef MADV_DONTNEED
  gsize source_length = 0;
  const guint8 *source = g_bytes_get_data (imp->source, &source_length);
  gboolean mapped = g_hash_table_contains (imp->external, tensor) ||
                    (imp->source_mapped && source != NULL && raw >= source &&
                     length <= source_length && raw - source <= (gssize) (source_length - length));
  guintptr page = (guintptr) sysconf (_SC_PAGESIZE);
  guintptr start = (guintptr) raw & ~(page - 1), end = ((guintptr) raw + length) & ~(page - 1);
  if (mapped && end > start)
    madvise ((void *) start, end - start, MADV_DONTNEED);
#endif
}

/* Checks what the importer reads of a tensor: its type, its dims (rank at
 * most 4, every dim at least 1, a bounded total) and that exactly the data
 * its dims call for is present. */
gboolean
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
  if (tensor->n_dims > FOLD_MAX_RANK)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "%s: rank %" G_GSIZE_FORMAT " tensors are not supported (at most %d dims)",
                   what, tensor->n_dims, FOLD_MAX_RANK);
      return FALSE;
    }
  gint64 n = 1;
  /* an empty list of numbers (ReduceSum's axes from opset 13, Resize's
   * unused roi and scales from opset 11) is read as such; other empty
   * tensors are not supported */
  gboolean empty_list = tensor->n_dims == 1 && tensor->dims[0] == 0 &&
                        (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
                         type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ||
                         type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
                         type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE);
  for (gsize i = 0; i < tensor->n_dims && !empty_list; i++)
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

  if (empty_list)
    n = 0;
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
GArray *
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
CnnfiltTensor *
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
    {
      memcpy (out, tensor->float_data, n * sizeof (gfloat));
      return result;
    }
  /* in steps, each step's pages of the file dropped once copied */
  for (gsize done = 0, step = 1 << 22; done < n; done += step)
    {
      gsize m = MIN (step, n - done);
      for (gsize i = done; i < done + m; i++)
        {
          guint32 bits;
          memcpy (&bits, raw + 4 * i, 4);
          bits = GUINT32_FROM_LE (bits);
          memcpy (out + i, &bits, 4);
        }
      release_pages (imp, tensor, raw + 4 * done, 4 * m);
    }
  return result;
}

/* ---- Constant nodes ----------------------------------------------------- */

const Onnx__TensorProto *
constant_tensor (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  if (proto->n_attribute != 1 || proto->attribute[0]->name == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "a Constant needs exactly one attribute");
      return NULL;
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
      return NULL;
    }
  g_autofree gchar *what = g_strdup_printf ("attribute '%s'", name);
  if (!check_tensor (imp, tensor, what, error))
    {
      node_prefix_error (error, ctx);
      return NULL;
    }
  return tensor;
}
