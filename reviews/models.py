# Review cycles and alignment checks arrive with the quarterly reviews.
