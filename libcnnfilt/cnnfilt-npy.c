/* cnnfilt-npy.c: tensors to and from NumPy .npy files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The format (NEP 1): "\x93NUMPY", a major and minor version byte, a
 * little-endian header length (2 bytes in version 1, 4 in versions 2 and
 * 3), then a Python dict literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (64, 3, 7, 7), }
 * padded with spaces to a multiple of 64 and ended by '\n', then the data.
 */
#include "cnnfilt-npy.h"
#include "cnnfilt-error.h"

#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_MAX_HEADER (1 << 16)

static gboolean
npy_error (GError **error, const gchar *name, const gchar *what)
{
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT, "%s: not a float32 .npy file: %s",
               name, what);
  return FALSE;
}

/* The value of 'key' in the header dict: a pointer just past "'key':" and
 * its spaces, or NULL. */
static const gchar *
find_key (const gchar *header, const gchar *key)
{
  g_autofree gchar *quoted = g_strdup_printf ("'%s'", key);
  const gchar *at = strstr (header, quoted);
  if (at == NULL)
    return NULL;
  at += strlen (quoted);
  while (*at == ' ')
    at++;
  if (*at != ':')
    return NULL;
  at++;
  while (*at == ' ')
    at++;
  return at;
}

/* Parses "(2, 3)" or "(5,)" or "()" into dims; FALSE on anything else. */
static gboolean
parse_shape (const gchar *text, guint64 *dims, guint *rank)
{
  if (*text++ != '(')
    return FALSE;
  *rank = 0;
  for (;;)
    {
      while (*text == ' ')
        text++;
      if (*text == ')')
        return TRUE;
      if (!g_ascii_isdigit (*text) || *rank == 4)
        return FALSE;
      gchar *end = NULL;
      guint64 d = g_ascii_strtoull (text, &end, 10);
      if (end == text || d > G_MAXUINT)
        return FALSE;
      dims[(*rank)++] = d;
      text = end;
      while (*text == ' ')
        text++;
      if (*text == ',')
        text++;
      else if (*text != ')')
        return FALSE;
    }
}

/**
 * cnnfilt_tensor_new_from_npy_bytes:
 * @bytes: the contents of a `.npy` file
 * @name: (nullable): a name for the data in error messages, such as its file
 *   name
 * @error: return location for a #GError
 *
 * Reads a NumPy array of float32 or float64 values (converted to float32),
 * in C order, of rank 0 to 4. Arrays of lower rank get trailing dimensions
 * of 1, as all tensors here are four-dimensional: a bias of shape (64,)
 * becomes 64×1×1×1 and a matrix (10, 512) becomes 10×512×1×1.
 *
 * Returns: (transfer full): the tensor, or %NULL with @error set
 */
CnnfiltTensor *
cnnfilt_tensor_new_from_npy_bytes (GBytes *bytes, const gchar *name, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  if (name == NULL)
    name = "data";
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  if (size < NPY_MAGIC_LEN + 4 || memcmp (data, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    return npy_error (error, name, "no NumPy magic"), NULL;
  guint major = data[6];
  gsize header_len, offset;
  if (major == 1)
    header_len = data[8] | (data[9] << 8), offset = 10;
  else if (major == 2 || major == 3)
    {
      if (size < 12)
        return npy_error (error, name, "truncated header"), NULL;
      header_len = data[8] | (data[9] << 8) | ((gsize) data[10] << 16) | ((gsize) data[11] << 24);
      offset = 12;
    }
  else
    return npy_error (error, name, "unknown format version"), NULL;
  if (header_len > NPY_MAX_HEADER || offset + header_len > size)
    return npy_error (error, name, "truncated header"), NULL;
  g_autofree gchar *header = g_strndup ((const gchar *) data + offset, header_len);
  offset += header_len;

  const gchar *descr = find_key (header, "descr");
  const gchar *order = find_key (header, "fortran_order");
  const gchar *shape_text = find_key (header, "shape");
  if (descr == NULL || order == NULL || shape_text == NULL)
    return npy_error (error, name, "header lacks descr, fortran_order or shape"), NULL;
  gsize item;
  if (g_str_has_prefix (descr, "'<f4'") || g_str_has_prefix (descr, "'|f4'"))
    item = 4;
  else if (g_str_has_prefix (descr, "'<f8'"))
    item = 8;
  else
    {
      g_autofree gchar *type = g_strndup (descr, strcspn (descr, ",}"));
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "%s: the array holds %s values; float32 ('<f4') or float64 ('<f8') needed",
                   name, type);
      return NULL;
    }
  if (!g_str_has_prefix (order, "False"))
    return npy_error (error, name, "Fortran order (save a C-contiguous array)"), NULL;
  guint64 dims[4] = { 1, 1, 1, 1 };
  guint rank = 0;
  if (!parse_shape (shape_text, dims, &rank))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: unreadable shape or rank above 4 (%.*s)", name,
                   (int) strcspn (shape_text, ")") + 1, shape_text);
      return NULL;
    }
  guint64 count = 1;
  for (guint i = 0; i < 4; i++)
    {
      if (dims[i] == 0)
        return npy_error (error, name, "the array is empty"), NULL;
      if (count > G_MAXSIZE / item / dims[i])
        return npy_error (error, name, "the shape is too large"), NULL;
      count *= dims[i];
    }
  if (size - offset != count * item)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "%s: the shape needs %" G_GUINT64_FORMAT " bytes of data, the file has %"
                   G_GSIZE_FORMAT, name, count * item, size - offset);
      return NULL;
    }
  CnnfiltTensor *tensor = cnnfilt_tensor_new (dims[0], dims[1], dims[2], dims[3], error);
  if (tensor == NULL)
    return NULL;
  gfloat *out = cnnfilt_tensor_get_data (tensor, NULL);
  if (item == 4)
    memcpy (out, data + offset, count * 4);
  else
    for (gsize i = 0; i < count; i++)
      {
        gdouble v;
        memcpy (&v, data + offset + i * 8, 8);
        out[i] = (gfloat) v;
      }
#if G_BYTE_ORDER == G_BIG_ENDIAN
#error "the .npy reader assumes a little-endian host"
#endif
  return tensor;
}

/**
 * cnnfilt_tensor_new_from_npy_file:
 * @path: (type filename): a `.npy` file
 * @error: return location for a #GError
 *
 * Reads a tensor saved by NumPy (`numpy.save`) or by
 * cnnfilt_tensor_save_npy(); see cnnfilt_tensor_new_from_npy_bytes().
 *
 * Returns: (transfer full): the tensor, or %NULL with @error set
 */
CnnfiltTensor *
cnnfilt_tensor_new_from_npy_file (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  gchar *contents = NULL;
  gsize length = 0;
  GError *local = NULL;
  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  g_autoptr (GBytes) bytes = g_bytes_new_take (contents, length);
  return cnnfilt_tensor_new_from_npy_bytes (bytes, path, error);
}

/**
 * cnnfilt_tensor_save_npy:
 * @tensor: a tensor
 * @path: (type filename): the file to write
 * @error: return location for a #GError
 *
 * Writes the tensor as a four-dimensional float32 NumPy array. The file is
 * written under a temporary name and renamed, so an existing file is
 * replaced whole or not at all.
 *
 * Returns: %TRUE on success
 */
gboolean
cnnfilt_tensor_save_npy (CnnfiltTensor *tensor, const gchar *path, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  GString *header = g_string_new (NULL);
  g_string_printf (header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u, %u, %u), }",
                   cnnfilt_tensor_get_n (tensor), cnnfilt_tensor_get_c (tensor),
                   cnnfilt_tensor_get_h (tensor), cnnfilt_tensor_get_w (tensor));
  /* magic (6) + version (2) + length (2) + header + '\n', to a multiple of 64 */
  while ((10 + header->len + 1) % 64 != 0)
    g_string_append_c (header, ' ');
  g_string_append_c (header, '\n');
  gsize count = 0;
  const gfloat *values = cnnfilt_tensor_get_data (tensor, &count);
  gsize total = 10 + header->len + count * sizeof (gfloat);
  g_autofree guint8 *file = g_try_malloc (total);
  if (file == NULL)
    {
      g_string_free (header, TRUE);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "%s: out of memory", path);
      return FALSE;
    }
  memcpy (file, NPY_MAGIC "\x01\x00", 8);
  file[8] = header->len & 0xff;
  file[9] = header->len >> 8;
  memcpy (file + 10, header->str, header->len);
  memcpy (file + 10 + header->len, values, count * sizeof (gfloat));
  g_string_free (header, TRUE);
  GError *local = NULL;
  if (!g_file_set_contents_full (path, (const gchar *) file, total,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}
