#include "agreement/consensus_cluster.h"

#include <vector>

#include <gtest/gtest.h>

#include "agreement/box_fusion.h"

namespace gtops::agreement {
namespace {

using Members = std::vector<ClusterMember>;

TEST(FrameQuorum, DefaultIsAStrictMajorityAndAskedQuorumsAreCapped) {
  EXPECT_EQ(FrameQuorum(2, 0), 2);
  EXPECT_EQ(FrameQuorum(3, 0), 2);
  EXPECT_EQ(FrameQuorum(4, 0), 3);
  EXPECT_EQ(FrameQuorum(5, 0), 3);
  EXPECT_EQ(FrameQuorum(3, 1), 1);
  EXPECT_EQ(FrameQuorum(2, 3), 2);  // more than the frame has: all of them
}

TEST(ClusterObjects, ThreeAnnotatorsMissingAndExtraVotes) {
  // Given three annotators: A has objects 0 (the car), 1 (the pedestrian); B has 0 (car), 1 (an
  // extra only B drew); C has 0 (pedestrian) and no car (a missing vote),
  const std::vector<int32_t> objects = {2, 2, 1};
  const std::vector<MatchEdge> edges = {
      {{0, 0}, {1, 0}, 0.1},  // A car - B car
      {{0, 1}, {2, 0}, 0.2},  // A pedestrian - C pedestrian
  };
  auto c = ClusterObjects(objects, edges, 0);
  ASSERT_TRUE(c.ok());
  // then the car (A, B) and the pedestrian (A, C) reach the quorum of 2 and B's extra does not.
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0].members, (Members{{0, 0}, {1, 0}}));
  EXPECT_TRUE((*c)[0].accepted);
  EXPECT_EQ((*c)[1].members, (Members{{0, 1}, {2, 0}}));
  EXPECT_TRUE((*c)[1].accepted);
  EXPECT_EQ((*c)[2].members, (Members{{1, 1}}));
  EXPECT_FALSE((*c)[2].accepted);
  // With a quorum of 3 nothing stands; with a quorum of 1 every object does.
  auto all = ClusterObjects(objects, edges, 3);
  for (const ObjectCluster& k : *all) EXPECT_FALSE(k.accepted);
  auto any = ClusterObjects(objects, edges, 1);
  for (const ObjectCluster& k : *any) EXPECT_TRUE(k.accepted);
}

TEST(ClusterObjects, AClusterNeverHoldsTwoObjectsOfOneAnnotator) {
  // A0-B0 and B0-C0 are good matches, C0-A1 too: joining it would put A0 and A1 together.
  const std::vector<int32_t> objects = {2, 1, 1};
  const std::vector<MatchEdge> edges = {{{0, 0}, {1, 0}, 0.1}, {{1, 0}, {2, 0}, 0.2}, {{0, 1}, {2, 0}, 0.05}};
  auto c = ClusterObjects(objects, edges, 0);
  ASSERT_TRUE(c.ok());
  // The best edge (A1-C0) goes first, then A0-B0; B0-C0 would join A0 and A1: refused.
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].members, (Members{{0, 0}, {1, 0}}));
  EXPECT_EQ((*c)[1].members, (Members{{0, 1}, {2, 0}}));
  EXPECT_TRUE((*c)[0].accepted && (*c)[1].accepted);
}

TEST(ClusterObjects, ChainsAcrossPairsFormOneCluster) {
  // A-B and B-C paired, A-C not (the matching of A and C paired A with nothing): one cluster of 3.
  const std::vector<int32_t> objects = {1, 1, 1};
  const std::vector<MatchEdge> edges = {{{0, 0}, {1, 0}, 0.3}, {{1, 0}, {2, 0}, 0.4}};
  auto c = ClusterObjects(objects, edges, 0);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].members.size(), 3u);
}

TEST(ClusterObjects, RejectsBadEdges) {
  const std::vector<int32_t> objects = {1, 1};
  EXPECT_FALSE(ClusterObjects(objects, std::vector<MatchEdge>{{{0, 0}, {0, 0}, 0}}, 0).ok());
  EXPECT_FALSE(ClusterObjects(objects, std::vector<MatchEdge>{{{0, 0}, {1, 1}, 0}}, 0).ok());
  EXPECT_FALSE(ClusterObjects(objects, std::vector<MatchEdge>{{{0, 0}, {2, 0}, 0}}, 0).ok());
  EXPECT_FALSE(ClusterObjects(std::vector<int32_t>{-1}, {}, 0).ok());
  auto empty = ClusterObjects(std::vector<int32_t>{0, 0}, {}, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Medoid, PicksTheMemberClosestToTheOthers) {
  // Members 0 and 2 are close (0.1), 1 is far from both: the sums are 1.1, 1.9 and 1.0.
  const std::vector<double> d = {0, 1.0, 0.1,  //
                                 1.0, 0, 0.9,  //
                                 0.1, 0.9, 0};
  EXPECT_EQ(*Medoid(3, d), 2);
  // A heavy weight on member 0 makes the others pay for their distance to it: 0 wins (sums 1.1,
  // 10.9, 1.9).
  EXPECT_EQ(*Medoid(3, d, std::vector<double>{10, 1, 1}), 0);
  EXPECT_EQ(*Medoid(1, std::vector<double>{0}), 0);
  EXPECT_FALSE(Medoid(0, {}).ok());
  EXPECT_FALSE(Medoid(2, std::vector<double>{0, 1, 1}).ok());
  EXPECT_FALSE(Medoid(2, std::vector<double>{0, -1, -1, 0}).ok());
}

TEST(FuseBoxes2d, RobustCentreAndSize) {
  // Three boxes agreeing within a pixel and one far off; the fused box stays with the three.
  const std::vector<Box2d> boxes = {{100, 50, 40, 20}, {101, 50, 40, 21}, {99, 51, 41, 20}, {160, 90, 80, 40}};
  auto f = FuseBoxes2d(boxes);
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(f->box.x + f->box.w / 2, 120.3, 1.5);
  EXPECT_NEAR(f->box.w, 40.5, 1.5);
  EXPECT_EQ(f->members, 4);
  // Two boxes: the weighted mean of centres and sizes.
  auto two = FuseBoxes2d(std::vector<Box2d>{{0, 0, 10, 10}, {10, 0, 20, 10}}, std::vector<double>{1, 1});
  ASSERT_TRUE(two.ok());
  EXPECT_NEAR(two->box.x + two->box.w / 2, 12.5, 1e-12);
  EXPECT_NEAR(two->box.w, 15, 1e-12);
  EXPECT_FALSE(FuseBoxes2d(std::vector<Box2d>{}).ok());
}

}  // namespace
}  // namespace gtops::agreement
