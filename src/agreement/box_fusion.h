// Geometric consensus of one cluster of matched 3D boxes (the same object as drawn by several
// annotators): a robust average of centres and sizes and an axial circular mean of headings that
// resolves the 180° ambiguity (docs/agreement.md, "Box fusion"). Pure function; thread-safe.
#pragma once

#include <span>

#include "core/records.h"
#include "core/status.h"

namespace gtops::agreement {

struct BoxFusionOptions {
  // Huber's tuning constant, in robust standard deviations (1.4826 MAD): members further than
  // this from the estimate are down-weighted in proportion to their distance.
  double huber_k = 1.5;
  // Floor of the robust scale per coordinate, in metres: below it, differences are treated as
  // agreement (annotators who agree to the centimetre are not outliers of each other).
  double min_scale_m = 0.02;
  int max_iterations = 20;
};

struct FusedBox {
  Box3d box;
  int members = 0;
  int flipped = 0;                   // members whose heading points the other way (more than 90° off)
  double centre_spread_m = 0;        // weighted RMS distance of the members' centres from the fused one
  double heading_spread_deg = 0;     // circular standard deviation of the headings modulo 180°
};

// Fuses `boxes` (one cluster, at least one box). `weights` (one per box, >= 0, not all 0; empty:
// all 1) are the annotators' reliabilities. Centre and size: per coordinate, a weighted Huber
// M-estimate started at the weighted median. Heading: the weighted mean of the doubled angles
// gives the axis; the direction along it is the one the weighted majority of members points to.
// The yaw returned is in (-pi, pi]. kBadInput for an empty cluster, wrong weights or a
// non-finite value.
Result<FusedBox> FuseBoxes(std::span<const Box3d> boxes, std::span<const double> weights = {},
                           const BoxFusionOptions& options = {});

struct FusedBox2d {
  Box2d box;
  int members = 0;
  double centre_spread_px = 0;  // weighted RMS distance of the members' centres from the fused one
};

// Fuses a cluster of matched 2D boxes: the centre (x + w/2, y + h/2), width and height each by
// the same weighted Huber M-estimate as FuseBoxes (options.min_scale_m is read as pixels here),
// the box rebuilt from the fused centre and size. Same errors as FuseBoxes.
Result<FusedBox2d> FuseBoxes2d(std::span<const Box2d> boxes, std::span<const double> weights = {},
                               const BoxFusionOptions& options = {});

}  // namespace gtops::agreement
