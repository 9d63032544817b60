/* Colormap tables: 256 sRGB triples in [0, 1], index 0 for the lowest value. */
#ifndef ATS_COLORMAP_DATA_H
#define ATS_COLORMAP_DATA_H

extern const float ats_cmap_viridis[256][3];
extern const float ats_cmap_magma[256][3];
extern const float ats_cmap_cividis[256][3];

#endif
