"""UK-WHO weight SDS, centile words and the NICE NG75 warning signs (homevisit.domain.growth).

The SDS are checked against figures computed independently of rcpchgrowth by the RCPCH (Tim Cole, in R),
copied from rcpchgrowth's sds_age_validation_2021.json weight rows so this file stands alone.
"""

from datetime import date

import pytest

from homevisit.domain import growth

# (birth date, weighed on, gestation weeks, gestation days, sex, kg, chronological SDS, corrected SDS,
#  the age the SDS must be read at). Term babies (37 weeks or more) read chronological; preterm babies read
# corrected until the first birthday (born 32-36 weeks) or the second (born before 32 weeks), then
# chronological again.
VALIDATION_ROWS = [
    ("2012-01-28", "2013-04-26", 41, 2, "male", 11.67, 1.144164, 1.087249, "chronological"),
    ("2017-05-15", "2020-12-09", 37, 5, "male", 15.76, 0.138790, 0.184752, "chronological"),
    ("2015-08-16", "2019-08-18", 41, 2, "male", 14.95, -0.898019, -0.922632, "chronological"),
    ("2013-08-11", "2016-11-04", 32, 4, "male", 12.52, -1.381075, -1.228001, "chronological"),
    ("2015-08-19", "2018-08-27", 41, 3, "female", 11.53, -1.489892, -1.523752, "chronological"),
    ("2013-01-27", "2013-09-14", 26, 3, "male", 6.92, -1.845704, -0.397618, "corrected"),
    ("2013-01-20", "2017-08-12", 41, 1, "female", 18.64, 0.542524, 0.521697, "chronological"),
    ("2013-02-11", "2017-01-28", 26, 4, "female", 18.56, 1.051652, 1.321736, "chronological"),
    ("2016-07-25", "2017-01-23", 31, 3, "male", 6.29, -2.079011, -0.946103, "corrected"),
    ("2013-08-20", "2017-12-17", 33, 4, "male", 17.28, 0.046017, 0.169262, "chronological"),
    ("2018-03-03", "2021-07-07", 30, 1, "female", 12.76, -1.056750, -0.835953, "chronological"),
    ("2015-12-27", "2017-01-29", 28, 2, "male", 10.53, 0.565048, 1.176245, "corrected"),
    ("2014-04-15", "2018-07-04", 38, 0, "male", 22.11, 2.123022, 2.161100, "chronological"),
    ("2017-06-06", "2020-10-31", 34, 1, "female", 16.92, 1.007228, 1.139883, "chronological"),
    ("2015-06-19", "2018-02-02", 32, 5, "female", 12.8, -0.121842, 0.079552, "chronological"),
    ("2017-01-15", "2021-09-03", 25, 6, "male", 15.13, -1.436720, -1.151143, "chronological"),
    ("2017-10-03", "2020-02-15", 30, 1, "male", 10.16, -2.123989, -1.851559, "chronological"),
    ("2016-05-25", "2020-03-24", 43, 5, "male", 18.99, 1.338138, 1.264270, "chronological"),
    ("2017-11-07", "2021-11-20", 22, 4, "female", 13.25, -1.737490, -1.144212, "chronological"),
    ("2014-06-22", "2017-08-13", 34, 4, "female", 14.44, 0.142568, 0.271424, "chronological"),
    ("2016-03-04", "2020-09-16", 42, 1, "female", 17.27, -0.015725, -0.054800, "chronological"),
    ("2012-11-08", "2014-12-20", 37, 3, "female", 11.61, -0.105056, -0.019982, "chronological"),
    ("2018-07-04", "2021-01-12", 25, 2, "male", 11.87, -1.003939, -0.602670, "chronological"),
    ("2017-08-29", "2019-02-10", 38, 6, "female", 10.31, 0.159594, 0.203662, "chronological"),
    ("2017-02-23", "2017-06-11", 42, 6, "male", 6.28, -0.608060, -1.098906, "chronological"),
    ("2016-10-09", "2020-05-25", 24, 2, "male", 14.16, -0.777759, -0.466199, "chronological"),
    ("2012-10-22", "2015-12-12", 27, 0, "male", 14.12, -0.285885, 0.002357, "chronological"),
    ("2012-10-24", "2014-02-20", 26, 4, "male", 8.7, -1.699920, -1.114687, "corrected"),
    ("2012-01-26", "2013-05-22", 35, 4, "male", 11.91, 1.154629, 1.349429, "chronological"),
    ("2016-11-24", "2021-08-01", 28, 1, "male", 19.67, 0.751170, 0.978791, "chronological"),
    ("2017-08-14", "2022-06-21", 34, 4, "male", 16.74, -0.762304, -0.656149, "chronological"),
    ("2014-05-26", "2017-11-20", 42, 5, "female", 15.82, 0.421266, 0.363275, "chronological"),
    ("2014-04-10", "2014-07-03", 43, 5, "female", 5.4, -0.409279, -1.124135, "chronological"),
    ("2016-05-04", "2020-10-22", 24, 4, "male", 16.73, -0.374306, -0.076114, "chronological"),
    ("2016-09-15", "2019-09-16", 35, 5, "female", 11.74, -1.314865, -1.210683, "chronological"),
    ("2017-04-19", "2020-02-14", 33, 1, "male", 13.38, -0.366769, -0.203709, "chronological"),
    ("2015-08-16", "2018-04-07", 34, 5, "male", 12.36, -0.809671, -0.677912, "chronological"),
    ("2014-04-13", "2014-08-24", 28, 3, "female", 3.69, -4.748905, -2.093507, "corrected"),
    ("2014-11-09", "2016-08-23", 34, 2, "female", 9.04, -1.594171, -1.380682, "chronological"),
    ("2014-12-18", "2017-08-08", 39, 5, "male", 12.16, -0.944261, -0.937317, "chronological"),
    ("2013-10-15", "2014-06-24", 24, 3, "female", 7.65, -0.397767, 0.997812, "corrected"),
    ("2015-09-15", "2020-06-20", 27, 2, "female", 21.05, 1.220665, 1.451743, "chronological"),
    ("2014-01-21", "2017-04-05", 29, 5, "male", 15.23, 0.259745, 0.486983, "chronological"),
    ("2016-07-24", "2019-07-13", 34, 0, "female", 14.87, 0.584635, 0.733488, "chronological"),
    ("2017-12-01", "2021-07-15", 41, 3, "male", 18.4, 1.315972, 1.286397, "chronological"),
    ("2012-04-12", "2012-04-18", 42, 4, "female", 3.62, 0.199200, -0.618964, "chronological"),
    ("2017-01-06", "2020-02-11", 34, 6, "male", 14.85, 0.174329, 0.288845, "chronological"),
    ("2014-12-19", "2018-11-06", 27, 0, "male", 15.4, -0.358425, -0.111218, "chronological"),
    ("2012-02-13", "2015-04-12", 34, 1, "female", 13.63, -0.321587, -0.183657, "chronological"),
    ("2018-09-13", "2022-03-18", 39, 5, "male", 16.5, 0.569582, 0.575465, "chronological"),
    ("2014-08-09", "2015-03-28", 39, 5, "male", 7.29, -1.387394, -1.365078, "chronological"),
    ("2013-11-18", "2016-07-31", 27, 5, "male", 14.08, 0.213705, 0.534471, "chronological"),
    ("2016-05-31", "2017-12-05", 23, 1, "female", 9.34, -0.778078, -0.095035, "corrected"),
    ("2013-04-07", "2015-08-26", 40, 1, "male", 13.74, 0.442767, 0.438695, "chronological"),
    ("2017-05-10", "2021-10-27", 32, 1, "female", 19.55, 0.981253, 1.126930, "chronological"),
    ("2014-04-20", "2016-05-12", 27, 0, "male", 11.41, -0.654273, -0.222041, "chronological"),
    ("2014-03-10", "2017-01-13", 40, 1, "male", 12.34, -1.073432, -1.076638, "chronological"),
    ("2016-07-05", "2019-07-07", 31, 0, "female", 16.43, 1.282236, 1.506221, "chronological"),
    ("2017-06-14", "2018-03-22", 32, 3, "female", 6.39, -2.172808, -1.653294, "corrected"),
    ("2017-09-14", "2019-08-06", 38, 6, "male", 11.47, -0.318041, -0.279172, "chronological"),
    ("2016-06-17", "2019-01-03", 43, 5, "male", 14.13, 0.448450, 0.351462, "chronological"),
    ("2017-08-07", "2017-09-11", 38, 5, "male", 4.95, 0.461590, 1.088550, "chronological"),
    ("2012-01-03", "2013-11-01", 36, 2, "female", 10.82, -0.170631, -0.039297, "chronological"),
    ("2018-10-26", "2019-11-18", 24, 3, "female", 8.95, -0.148533, 0.644508, "corrected"),
    ("2015-01-02", "2017-02-05", 37, 4, "female", 9.6, -1.651420, -1.567540, "chronological"),
    ("2012-02-03", "2016-11-17", 37, 4, "female", 16.09, -0.811647, -0.768374, "chronological"),
    ("2015-11-07", "2018-10-06", 44, 5, "male", 13.55, -0.369343, -0.474209, "chronological"),
    ("2018-08-12", "2021-10-31", 40, 2, "female", 14.86, 0.267096, 0.260522, "chronological"),
    ("2016-01-21", "2019-07-08", 37, 4, "male", 13.82, -0.808020, -0.759780, "chronological"),
    ("2013-03-22", "2013-12-17", 31, 2, "female", 6.56, -1.850884, -1.215765, "corrected"),
    ("2012-05-04", "2017-01-04", 42, 3, "male", 17.6, -0.148028, -0.195584, "chronological"),
    ("2015-04-01", "2017-10-04", 30, 2, "female", 15.58, 1.554770, 1.833695, "chronological"),
    ("2017-12-31", "2021-08-15", 38, 4, "female", 13.23, -1.074105, -1.045434, "chronological"),
    ("2015-08-18", "2017-02-22", 29, 0, "male", 9.97, -0.866159, -0.428989, "corrected"),
    ("2012-02-26", "2016-05-14", 32, 4, "female", 18.24, 0.713663, 0.854056, "chronological"),
    ("2013-03-24", "2015-05-25", 37, 6, "female", 9.57, -1.809304, -1.736815, "chronological"),
    ("2017-12-31", "2022-09-18", 29, 5, "female", 17.11, -0.254930, -0.069737, "chronological"),
    ("2016-01-13", "2018-09-24", 32, 4, "male", 15.33, 0.928384, 1.123832, "chronological"),
    ("2017-11-21", "2021-02-16", 29, 5, "male", 14.83, 0.003160, 0.226470, "chronological"),
    ("2012-06-23", "2012-10-19", 33, 4, "female", 5.59, -1.036642, 0.219809, "corrected"),
    ("2018-11-11", "2023-08-06", 30, 5, "male", 19.56, 0.656768, 0.834525, "chronological"),
    ("2016-09-14", "2021-07-23", 28, 0, "male", 16.93, -0.666892, -0.431989, "chronological"),
    ("2014-03-01", "2014-06-08", 27, 2, "female", 2.9, -5.736571, -1.788396, "corrected"),
    ("2018-09-27", "2022-04-04", 29, 2, "male", 12.93, -1.409185, -1.198969, "chronological"),
    ("2018-03-19", "2019-10-13", 26, 1, "female", 9.9, -0.405242, 0.135403, "corrected"),
    ("2014-06-10", "2017-09-30", 26, 5, "male", 18.03, 1.504097, 1.807860, "chronological"),
    ("2017-11-29", "2022-10-10", 33, 1, "male", 13.83, -2.530535, -2.384775, "chronological"),
    ("2013-02-18", "2017-12-15", 25, 2, "female", 17.35, -0.245557, 0.017440, "chronological"),
    ("2014-01-27", "2015-04-14", 23, 4, "female", 8.09, -1.330313, -0.558727, "corrected"),
    ("2017-05-22", "2020-03-02", 24, 1, "male", 12.76, -0.711022, -0.317664, "chronological"),
    ("2016-10-24", "2019-11-16", 44, 3, "male", 14.87, 0.226363, 0.129242, "chronological"),
    ("2012-11-26", "2015-03-08", 24, 5, "female", 11.22, -0.659350, -0.157051, "chronological"),
    ("2016-08-26", "2017-03-10", 38, 2, "male", 9.27, 1.244743, 1.414004, "chronological"),
    ("2018-12-17", "2022-11-25", 33, 2, "female", 16.46, 0.231650, 0.361878, "chronological"),
    ("2015-11-15", "2020-08-14", 34, 5, "female", 18.27, 0.216141, 0.310703, "chronological"),
    ("2012-09-13", "2013-11-21", 28, 1, "female", 10.3, 0.699827, 1.226671, "corrected"),
    ("2013-07-11", "2015-10-25", 26, 5, "male", 12.54, -0.196072, 0.216200, "chronological"),
    ("2014-05-25", "2017-10-29", 37, 2, "female", 13.14, -0.921267, -0.863103, "chronological"),
    ("2012-11-08", "2017-05-19", 23, 1, "male", 21.45, 1.585200, 1.908823, "chronological"),
    ("2018-06-23", "2023-03-29", 24, 4, "female", 19.54, 0.695309, 0.974907, "chronological"),
    ("2013-10-06", "2016-01-20", 32, 6, "male", 13.47, 0.418718, 0.639051, "chronological"),
    ("2013-07-31", "2016-07-15", 42, 1, "female", 14.12, 0.203640, 0.151417, "chronological"),
    ("2017-07-25", "2018-02-18", 23, 2, "female", 5.65, -2.457006, -0.260920, "corrected"),
    ("2013-12-30", "2017-01-03", 36, 2, "female", 16.42, 1.267294, 1.358636, "chronological"),
    ("2015-07-09", "2020-06-05", 42, 4, "female", 19.91, 0.697799, 0.653727, "chronological"),
    ("2013-09-29", "2018-03-05", 32, 4, "male", 17.05, -0.172452, -0.029150, "chronological"),
    ("2017-06-14", "2020-08-30", 28, 4, "male", 15.04, 0.148225, 0.399976, "chronological"),
    ("2012-10-22", "2014-03-25", 24, 1, "male", 9.1, -1.494144, -0.826324, "corrected"),
    ("2014-04-14", "2017-02-03", 23, 4, "female", 12.64, -0.471919, -0.032497, "chronological"),
    ("2015-01-13", "2015-12-15", 36, 0, "female", 8.18, -0.532954, -0.323816, "corrected"),
    ("2018-04-23", "2019-06-23", 23, 5, "female", 8.24, -1.075177, -0.294462, "corrected"),
    ("2016-05-26", "2018-11-12", 39, 1, "female", 14.79, 1.231712, 1.256067, "chronological"),
    ("2017-11-01", "2022-03-04", 36, 5, "male", 19.32, 0.955278, 1.018001, "chronological"),
    ("2017-06-12", "2018-08-26", 44, 3, "male", 10.14, -0.048377, -0.239818, "chronological"),
    ("2014-02-11", "2017-05-20", 40, 4, "male", 13.86, -0.582443, -0.594227, "chronological"),
    ("2017-09-29", "2018-11-10", 34, 3, "female", 9.23, -0.018555, 0.233653, "chronological"),
    ("2014-04-02", "2014-05-05", 44, 5, "male", 4.61, 0.053144, -1.725135, "chronological"),
    ("2016-01-30", "2018-01-11", 41, 5, "female", 10.65, -0.519565, -0.578736, "chronological"),
    ("2015-04-29", "2017-10-08", 23, 5, "female", 12.13, -0.288358, 0.214138, "chronological"),
    ("2012-08-29", "2016-12-12", 23, 2, "male", 12.7, -2.715636, -1.978894, "chronological"),
    ("2015-11-23", "2016-05-16", 26, 4, "female", 5.4, -2.381501, -0.315249, "corrected"),
    ("2013-01-02", "2015-11-02", 30, 5, "male", 14.81, 0.468746, 0.698358, "chronological"),
    ("2014-12-06", "2016-10-24", 26, 0, "male", 13.55, 1.164746, 1.688529, "corrected"),
    ("2015-02-18", "2015-09-07", 31, 4, "male", 6.41, -2.178948, -1.217721, "corrected"),
    ("2016-03-28", "2019-12-30", 37, 5, "female", 16.62, 0.488236, 0.534446, "chronological"),
    ("2016-09-15", "2021-03-10", 32, 1, "male", 18.19, 0.318641, 0.469732, "chronological"),
    ("2013-09-17", "2017-11-09", 34, 5, "male", 17.34, 0.254991, 0.353162, "chronological"),
    ("2014-01-28", "2018-10-16", 40, 5, "female", 16.96, -0.323748, -0.336539, "chronological"),
    ("2012-10-28", "2017-07-06", 22, 5, "female", 16.63, -0.452954, -0.138751, "chronological"),
    ("2012-04-26", "2012-07-11", 44, 0, "female", 4.81, -1.052672, -1.894041, "chronological"),
    ("2018-11-22", "2021-05-26", 35, 4, "female", 10.63, -1.468687, -1.339260, "chronological"),
    ("2018-06-02", "2020-09-07", 39, 6, "male", 14.36, 1.002366, 1.006765, "chronological"),
    ("2013-02-09", "2016-02-04", 27, 3, "male", 16.46, 1.150186, 1.457718, "chronological"),
    ("2016-07-23", "2020-07-02", 34, 0, "male", 14.58, -0.850063, -0.741298, "chronological"),
    ("2018-09-11", "2019-01-26", 28, 5, "male", 5.13, -3.039501, -0.523736, "corrected"),
    ("2018-01-03", "2022-02-07", 31, 6, "female", 14.12, -1.239336, -0.894427, "chronological"),
    ("2018-11-22", "2021-12-14", 41, 4, "male", 15.43, 0.529520, 0.494410, "chronological"),
    ("2017-04-08", "2020-12-26", 29, 0, "female", 15.53, 0.036141, 0.263571, "chronological"),
    ("2016-11-06", "2020-07-24", 24, 5, "female", 14.12, -0.668245, -0.353284, "chronological"),
    ("2018-02-26", "2019-08-28", 29, 5, "male", 8.3, -2.475980, -2.076889, "corrected"),
    ("2015-08-02", "2017-10-16", 32, 2, "male", 10.68, -1.459162, -1.227390, "chronological"),
    ("2016-08-28", "2020-01-11", 30, 6, "male", 17.17, 1.041206, 1.241640, "chronological"),
    ("2014-01-05", "2017-06-21", 44, 3, "female", 16.87, 0.922672, 0.826574, "chronological"),
    ("2015-04-28", "2019-10-28", 42, 2, "female", 14.59, -1.353061, -1.395346, "chronological"),
    ("2016-09-23", "2019-04-05", 30, 5, "female", 14.57, 1.021852, 1.287571, "chronological"),
    ("2017-12-14", "2019-04-12", 28, 1, "female", 9.7, -0.076503, 0.421230, "corrected"),
    ("2013-06-02", "2017-05-10", 38, 2, "male", 14.14, -1.089242, -1.058746, "chronological"),
    ("2018-08-18", "2019-01-30", 32, 6, "male", 8.32, 0.709288, 1.699763, "corrected"),
    ("2018-10-10", "2023-02-03", 37, 1, "male", 18.59, 0.662202, 0.716802, "chronological"),
    ("2013-08-22", "2018-07-15", 26, 5, "female", 17.13, -0.411306, -0.176838, "chronological"),
    ("2013-03-09", "2015-02-23", 28, 5, "male", 10.9, -0.885046, -0.502232, "corrected"),
    ("2016-11-19", "2020-10-28", 23, 5, "female", 12.97, -1.543659, -1.234360, "chronological"),
    ("2018-11-09", "2021-03-06", 44, 2, "male", 13.36, 0.297809, 0.175272, "chronological"),
    ("2015-03-26", "2019-12-20", 31, 5, "female", 18.64, 0.375890, 0.524294, "chronological"),
    ("2012-06-04", "2016-05-21", 27, 1, "male", 14.11, -1.128900, -0.895546, "chronological"),
    ("2017-01-01", "2019-07-16", 36, 1, "male", 13.13, -0.157575, -0.055197, "chronological"),
    ("2015-07-23", "2017-05-10", 36, 4, "female", 10.43, -0.415427, -0.292625, "chronological"),
    ("2018-05-28", "2019-12-10", 44, 3, "male", 10.47, -0.465062, -0.629838, "chronological"),
    ("2016-05-06", "2020-10-04", 22, 1, "male", 16.52, -0.427232, -0.085671, "chronological"),
    ("2013-02-02", "2016-03-14", 40, 5, "male", 11.25, -2.140161, -2.154654, "chronological"),
    ("2013-01-21", "2017-12-29", 44, 0, "female", 19.16, 0.396566, 0.328343, "chronological"),
    ("2015-03-14", "2016-03-13", 26, 6, "male", 9.09, -0.542391, 0.201604, "corrected"),
    ("2015-11-25", "2020-01-18", 32, 1, "male", 11.84, -3.252696, -2.573358, "chronological"),
    ("2018-09-04", "2019-11-27", 39, 3, "male", 10.27, 0.010951, 0.036009, "chronological"),
    ("2016-11-19", "2021-08-31", 36, 3, "female", 14.03, -1.957345, -1.892328, "chronological"),
    ("2013-04-22", "2017-06-20", 39, 4, "female", 13.33, -1.809266, -1.801149, "chronological"),
    ("2017-01-15", "2021-06-21", 34, 3, "male", 14.22, -1.791651, -1.678601, "chronological"),
    ("2014-06-29", "2019-01-05", 24, 2, "male", 18.16, 0.265987, 0.567941, "chronological"),
    ("2016-05-21", "2019-05-03", 37, 0, "female", 14.66, 0.501265, 0.575483, "chronological"),
    ("2018-08-13", "2022-06-27", 43, 2, "male", 17.47, 0.645590, 0.582641, "chronological"),
    ("2012-10-09", "2015-12-22", 30, 0, "female", 14.29, -0.006837, 0.229461, "chronological"),
    ("2014-09-05", "2018-04-08", 31, 5, "male", 13.62, -1.056910, -0.895683, "chronological"),
    ("2014-01-04", "2017-04-28", 41, 5, "female", 14.45, -0.054930, -0.093070, "chronological"),
    ("2018-02-15", "2019-11-03", 30, 5, "male", 11.23, -0.181151, 0.163895, "corrected"),
    ("2015-10-20", "2017-07-26", 28, 1, "female", 11.44, 0.394411, 0.819321, "corrected"),
    ("2013-12-25", "2016-05-30", 30, 5, "male", 17.69, 2.517928, 2.814453, "chronological"),
    ("2012-12-04", "2015-10-24", 22, 2, "female", 13.77, 0.101347, 0.564166, "chronological"),
    ("2016-02-11", "2020-03-19", 31, 1, "female", 18.61, 0.974924, 1.100781, "chronological"),
    ("2012-08-10", "2015-10-09", 31, 1, "female", 16.25, 1.002265, 1.215347, "chronological"),
    ("2017-05-07", "2019-10-17", 34, 2, "male", 13.77, 0.373040, 0.535718, "chronological"),
    ("2014-08-05", "2018-03-19", 27, 1, "female", 16.7, 0.669116, 0.947907, "chronological"),
    ("2013-08-06", "2015-09-16", 43, 1, "female", 12.25, 0.329747, 0.228085, "chronological"),
    ("2015-02-04", "2016-11-11", 29, 1, "female", 9.84, -0.841133, -0.439107, "corrected"),
    ("2014-06-18", "2016-10-03", 44, 5, "male", 11.14, -1.224414, -1.353553, "chronological"),
    ("2012-05-17", "2015-11-14", 41, 0, "male", 18.22, 1.376642, 1.355367, "chronological"),
    ("2012-10-23", "2016-03-29", 40, 2, "male", 14.4, -0.442599, -0.448344, "chronological"),
    ("2012-10-24", "2013-10-11", 33, 4, "female", 8.33, -0.496431, -0.166665, "corrected"),
    ("2016-06-19", "2018-02-23", 29, 2, "male", 10.45, -0.760554, -0.361642, "corrected"),
    ("2013-12-18", "2016-02-17", 24, 0, "male", 11.58, -0.693524, -0.175374, "chronological"),
    ("2016-09-08", "2019-07-07", 22, 1, "female", 13.7, 0.140557, 0.616451, "chronological"),
    ("2014-09-12", "2015-02-07", 43, 4, "male", 6.91, -0.669657, -1.102976, "chronological"),
    ("2012-10-14", "2014-03-05", 23, 6, "female", 7.65, -2.209605, -1.493374, "corrected"),
    ("2014-01-13", "2014-05-26", 31, 4, "female", 5.54, -1.432566, 0.115382, "corrected"),
    ("2015-03-12", "2018-06-04", 31, 2, "female", 14.77, 0.208100, 0.412435, "chronological"),
]


@pytest.mark.parametrize(
    ("born", "weighed", "weeks", "days", "sex", "kg", "chronological_sds", "corrected_sds", "age_used"),
    VALIDATION_ROWS,
)
def test_weight_sds_matches_the_rcpch_validation_figures(
    born, weighed, weeks, days, sex, kg, chronological_sds, corrected_sds, age_used
):
    result = growth.weight_sds(sex, date.fromisoformat(born), weeks, days, date.fromisoformat(weighed), kg)
    expected = corrected_sds if age_used == "corrected" else chronological_sds
    assert result["age_used"] == age_used
    assert result["error"] is None
    assert result["sds"] == pytest.approx(expected, abs=0.01)
    assert result["age_days"] == (date.fromisoformat(weighed) - date.fromisoformat(born)).days


def test_validation_rows_cover_term_preterm_corrected_and_preterm_after_correction():
    kinds = {(weeks >= 37, used) for _, _, weeks, _, _, _, _, _, used in VALIDATION_ROWS}
    assert kinds == {(True, "chronological"), (False, "corrected"), (False, "chronological")}
    assert len(VALIDATION_ROWS) >= 60


@pytest.mark.parametrize(("sex", "expected"), [("male", -3.46), ("female", -2.68)])
def test_child_au_at_17_months_and_7_3_kg_is_at_or_below_the_0_4th_centile(sex, expected):
    result = growth.weight_sds(sex, date(2020, 1, 1), 40, 0, date(2021, 6, 1), 7.3)
    assert result["sds"] == pytest.approx(expected, abs=0.01)
    child = {
        "sex": sex,
        "date_of_birth": "2020-01-01",
        "gestation_weeks": 40,
        "gestation_days": 0,
        "birth_weight_kg": None,
    }
    [entry] = growth.growth_series(child, [{"measured_on": "2021-06-01", "weight_kg": 7.3, "visit_id": "v1"}])
    assert entry["below_0_4th"] is True
    assert entry["below_2nd"] is True


def test_birth_weight_sds_is_corrected_for_gestation():
    # DOMAIN (c): 35+2 weeks and 2.0 kg gives corrected -1.34, not the chronological -3.60.
    assert growth.birth_weight_sds("male", 35, 2, 2.0, date(2024, 5, 1)) == pytest.approx(-1.34, abs=0.01)


def test_birth_weight_sds_is_none_without_a_birth_weight():
    assert growth.birth_weight_sds("female", 39, 0, None, date(2024, 5, 1)) is None


def test_a_term_baby_born_after_40_weeks_is_read_on_chronological_age():
    # The library would read a 42-week baby two weeks younger: the growth module must not.
    result = growth.weight_sds("female", date(2024, 1, 1), 42, 0, date(2024, 7, 1), 7.0)
    assert result["age_used"] == "chronological"
    assert result["corrected_age_days"] == result["age_days"] == 182


@pytest.mark.parametrize(
    ("weeks", "weighed", "age_used"),
    [
        (36, date(2024, 3, 9), "corrected"),  # 32-36 weeks: corrected until the first birthday
        (32, date(2024, 3, 9), "corrected"),
        (32, date(2024, 3, 10), "chronological"),
        (31, date(2024, 3, 10), "corrected"),  # before 32 weeks: corrected until the second birthday
        (31, date(2025, 3, 9), "corrected"),
        (31, date(2025, 3, 10), "chronological"),
        (37, date(2023, 3, 11), "chronological"),
    ],
)
def test_the_correction_period_depends_on_gestation(weeks, weighed, age_used):
    result = growth.weight_sds("male", date(2023, 3, 10), weeks, 0, weighed, 8.0)
    assert result["age_used"] == age_used
    days_early = 280 - weeks * 7 if weeks < 37 else 0
    assert result["corrected_age_days"] == result["age_days"] - days_early


def test_weight_sds_results_are_cached_but_not_shared():
    first = growth.weight_sds("male", date(2022, 2, 2), 39, 0, date(2022, 8, 2), 7.5)
    first["sds"] = 99
    second = growth.weight_sds("male", "2022-02-02", 39, 0, "2022-08-02", 7.5)
    assert second["sds"] != 99
    assert isinstance(second["sds"], float) and isinstance(second["centile"], float)
    assert 0 < second["centile"] < 100


TERM_BOY = {
    "sex": "male",
    "date_of_birth": "2023-03-01",
    "gestation_weeks": 39,
    "gestation_days": 3,
    "birth_weight_kg": 3.4,
}


@pytest.mark.parametrize(
    ("kg", "verdict"),
    [
        (9450, "impossible"),  # grams typed as kilograms
        (94.5, "impossible"),
        (3.0, "impossible"),  # below -8 SD at a year
        (5.9, "confirm"),  # about -4.4 SD
        (16.0, "confirm"),  # about +4.7 SD
        (6.3, "ok"),  # about -3.9 SD: worrying, but plausible
        (9.6, "ok"),
        (0, "impossible"),
    ],
)
def test_weight_plausibility(kg, verdict):
    assert growth.weight_plausibility(TERM_BOY, date(2024, 3, 1), kg) == verdict


def test_a_weight_dated_before_birth_is_impossible():
    assert growth.weight_plausibility(TERM_BOY, "2023-02-28", 3.4) == "impossible"
    assert growth.weight_sds("male", "2023-03-01", 39, 3, "2023-02-28", 3.4)["error"]


def test_the_library_error_is_passed_on():
    result = growth.weight_sds("male", date(2023, 3, 1), 39, 3, date(2024, 3, 1), 9450)
    assert "above +8 SD" in result["error"]


@pytest.mark.parametrize(
    ("sds", "words"),
    [
        (0.0, "on the 50th centile"),
        (0.166, "on the 50th centile"),  # within a quarter of a centile space (1/6 SD)
        (0.168, "between the 50th and 75th centiles"),
        (-1.0, "between the 9th and 25th centiles"),
        (-4 / 3 - 0.1, "on the 9th centile"),
        (1.2, "on the 91st centile"),
        (1.9, "on the 98th centile"),
        (-2.7, "on the 0.4th centile"),
        (-2.84, "below the 0.4th centile"),
        (2.84, "above the 99.6th centile"),
        (-2.3, "between the 0.4th and 2nd centiles"),
        (None, None),
    ],
)
def test_centile_in_words(sds, words):
    assert growth.centile_in_words(sds) == words


def test_centile_spaces_fallen():
    assert growth.centile_spaces_fallen(0.0, -2 / 3) == pytest.approx(1.0)
    assert growth.centile_spaces_fallen(-1.0, 0.0) == pytest.approx(-1.5)
    assert growth.centile_spaces_fallen(None, 0.0) is None


def _sds_after_fall(bw_sds, spaces):
    return bw_sds - spaces * 2 / 3


@pytest.mark.parametrize(
    ("bw_sds", "spaces", "concern"),
    [
        # born below the 9th centile: 1 space
        (-1.5, 0.99, False),
        (-1.5, 1.0, True),
        (-1.334, 1.0, True),
        (-2.5, 1.2, True),
        # born between the 9th and 91st: 2 spaces (the band includes its edges, |bw_sds| <= 1.333)
        (-1.333, 1.0, False),
        (-1.333, 1.99, False),
        (-1.333, 2.0, True),
        (0.0, 1.99, False),
        (0.0, 2.0, True),
        (1.333, 2.0, True),
        # born above the 91st: 3 spaces
        (1.334, 2.0, False),
        (1.334, 2.99, False),
        (1.334, 3.0, True),
        (2.5, 3.5, True),
        # rising is never a concern
        (-2.0, -1.0, False),
    ],
)
def test_ng75_fall_thresholds_by_birth_weight_band(bw_sds, spaces, concern):
    assert growth.ng75_fall_concern(bw_sds, _sds_after_fall(bw_sds, spaces)) is concern


def test_ng75_needs_both_sds():
    assert growth.ng75_fall_concern(None, -3.0) is False
    assert growth.ng75_fall_concern(0.0, None) is False


def test_ng75_fall_since_birth_in_a_series():
    # A 9th-91st centile birth weight that has fallen to the 0.4th: more than 2 spaces.
    child = dict(TERM_BOY, date_of_birth="2023-01-01", gestation_weeks=40, gestation_days=0, birth_weight_kg=3.5)
    [entry] = growth.growth_series(child, [{"measured_on": "2023-07-01", "weight_kg": 5.6, "visit_id": 1}])
    assert -0.67 < entry["bw_sds"] < 0.67
    assert entry["centile_spaces_fallen_since_birth"] == pytest.approx((entry["bw_sds"] - entry["sds"]) / (2 / 3))
    assert entry["centile_spaces_fallen_since_birth"] > 2
    assert entry["ng75_fall_concern"] is True


NEWBORN = {
    "sex": "female",
    "date_of_birth": "2024-01-01",
    "gestation_weeks": 40,
    "gestation_days": 0,
    "birth_weight_kg": 3.5,
}


@pytest.mark.parametrize(
    ("on", "kg", "early_loss", "not_back", "change_pct"),
    [
        ("2024-01-06", 3.15, False, False, -10.0),  # exactly 10% lost: not more than 10%
        ("2024-01-06", 3.14, True, False, -10.29),
        ("2024-01-22", 3.14, True, True, -10.29),  # day 21: both rules apply
        ("2024-01-23", 3.14, False, True, -10.29),  # day 22: no longer "early days"
        ("2024-01-21", 3.40, False, False, -2.86),  # day 20: still time to regain
        ("2024-01-22", 3.49, False, True, -0.29),  # day 21, 10 g short
        ("2024-01-22", 3.50, False, False, 0.0),  # day 21, back to birth weight
    ],
)
def test_early_weight_loss_and_back_to_birth_weight(on, kg, early_loss, not_back, change_pct):
    [entry] = growth.growth_series(NEWBORN, [{"measured_on": on, "weight_kg": kg, "visit_id": "v"}])
    assert entry["early_weight_loss_over_10pct"] is early_loss
    assert entry["not_back_to_birth_weight"] is not_back
    assert entry["weight_change_since_birth_pct"] == pytest.approx(change_pct, abs=0.01)


def test_without_a_birth_weight_the_birth_comparisons_are_empty():
    child = dict(NEWBORN, birth_weight_kg=None)
    [entry] = growth.growth_series(child, [{"measured_on": "2024-01-22", "weight_kg": 3.0, "visit_id": "v"}])
    assert entry["bw_sds"] is None and entry["birth_weight_kg"] is None
    assert entry["centile_spaces_fallen_since_birth"] is None
    assert entry["weight_change_since_birth_pct"] is None
    assert entry["ng75_fall_concern"] is False
    assert entry["early_weight_loss_over_10pct"] is False and entry["not_back_to_birth_weight"] is False


@pytest.mark.parametrize(
    ("on", "days"),
    [
        ("2024-01-15", 1),
        ("2024-02-14", 1),  # under 1 month: daily
        ("2024-02-15", 7),  # 1-6 months: weekly
        ("2024-07-14", 7),
        ("2024-07-15", 14),  # 6-12 months: fortnightly
        ("2025-01-14", 14),
        ("2025-01-15", 30),  # 1 year or more: monthly
        ("2026-06-01", 30),
    ],
)
def test_reweigh_intervals(on, days):
    assert growth.reweigh_interval_days("2024-01-15", on) == days
    child = dict(NEWBORN, date_of_birth="2024-01-15", birth_weight_kg=None)
    [entry] = growth.growth_series(child, [{"measured_on": on, "weight_kg": 8.0, "visit_id": "v"}])
    assert entry["reweigh_interval_days"] == days


CONTRACT_KEYS = {
    "visit_id",
    "measured_on",
    "weight_kg",
    "weight_clothing",
    "sds",
    "centile",
    "centile_band_words",
    "age_days",
    "corrected_age_days",
    "age_used",
    "bw_sds",
    "birth_weight_kg",
    "centile_spaces_fallen_since_birth",
    "centile_spaces_fallen_since_previous",
    "previous_weight_kg",
    "previous_measured_on",
    "previous_weight_clothing",
    "weight_change_since_birth_pct",
    "below_2nd",
    "below_0_4th",
    "ng75_fall_concern",
    "early_weight_loss_over_10pct",
    "not_back_to_birth_weight",
    "reweigh_interval_days",
}

MEASUREMENTS = [
    {"measured_on": "2024-03-01", "weight_kg": 5.1, "weight_clothing": "nappy", "visit_id": "b"},
    {"measured_on": date(2024, 1, 20), "weight_kg": 3.3, "weight_clothing": "naked", "visit_id": "a"},
    {"measured_on": "2024-02-10", "weight_kg": None, "weight_clothing": None, "visit_id": "no-weight"},
    {"measured_on": "2024-06-01", "weight_kg": 6.2, "weight_clothing": None, "visit_id": None},
]


def test_growth_series_is_oldest_first_with_the_previous_weight():
    series = growth.growth_series(NEWBORN, MEASUREMENTS)
    assert [e["measured_on"] for e in series] == ["2024-01-20", "2024-03-01", "2024-06-01"]
    assert all(CONTRACT_KEYS <= set(e) for e in series)
    first, second, third = series
    assert first["previous_weight_kg"] is None and first["centile_spaces_fallen_since_previous"] is None
    assert second["previous_weight_kg"] == 3.3
    assert second["previous_measured_on"] == "2024-01-20"
    assert second["previous_weight_clothing"] == "naked"
    assert second["centile_spaces_fallen_since_previous"] == pytest.approx((first["sds"] - second["sds"]) * 1.5)
    assert third["visit_id"] is None and third["weight_clothing"] is None
    assert second["centile_band_words"] == growth.centile_in_words(second["sds"])


def test_weight_facts_for_one_visit():
    facts = growth.weight_facts(NEWBORN, MEASUREMENTS, "b")
    assert facts["weight_kg"] == 5.1 and facts["previous_weight_kg"] == 3.3
    assert growth.weight_facts(NEWBORN, MEASUREMENTS, "no-weight") is None
    assert growth.weight_facts(NEWBORN, MEASUREMENTS, "unknown") is None


def test_weight_facts_equal_the_visits_entry_in_the_whole_series():
    # a year of weights, two on one day (the later is the visit's), out of order, one at a visit not weighed
    measurements = [{"measured_on": f"2024-{month:02d}-10", "weight_kg": 3.0 + month * 0.55,
                     "weight_clothing": "naked", "visit_id": f"v{month}"} for month in range(12, 1, -1)]
    measurements += [{"measured_on": "2024-07-10", "weight_kg": 6.6, "weight_clothing": "nappy", "visit_id": "v7"},
                     {"measured_on": "2024-08-01", "weight_kg": None, "visit_id": "unweighed"}]
    whole = growth.growth_series(NEWBORN, measurements)
    for visit_id in {m["visit_id"] for m in measurements} - {"unweighed"}:
        expected = [e for e in whole if e["visit_id"] == visit_id][-1]
        assert growth.weight_facts(NEWBORN, measurements, visit_id) == expected, visit_id
    assert growth.weight_facts(NEWBORN, measurements, "v7")["weight_kg"] == 6.6  # the later of the day's two
    assert growth.weight_facts(NEWBORN, measurements, "unweighed") is None


def test_a_preterm_series_reads_corrected_age_then_chronological():
    child = {
        "sex": "male",
        "date_of_birth": "2023-01-10",
        "gestation_weeks": 34,
        "gestation_days": 0,
        "birth_weight_kg": 2.1,
    }
    series = growth.growth_series(
        child,
        [
            {"measured_on": "2023-06-10", "weight_kg": 6.0, "visit_id": 1},
            {"measured_on": "2024-02-10", "weight_kg": 10.0, "visit_id": 2},
        ],
    )
    assert [e["age_used"] for e in series] == ["corrected", "chronological"]
    assert series[0]["corrected_age_days"] == series[0]["age_days"] - 42


def test_centile_lines_match_the_who_tables():
    # DOMAIN (c): third-party copies of the WHO tables give boys at 12 months 9.6 kg (median), 7.7 kg (-2 SD).
    lines = {line["centile"]: line for line in growth.centile_lines("male", 0, 365.25)}
    assert len(lines) == 9
    assert lines[50]["segments"][-1][-1][0] == pytest.approx(365.25)
    assert lines[50]["segments"][-1][-1][1] == pytest.approx(9.6, abs=0.1)
    assert lines[2]["segments"][-1][-1][1] == pytest.approx(7.7, abs=0.1)
    # UK90 birth data meet the WHO data at 2 weeks, so each line is drawn in two pieces.
    assert [len(line["segments"]) for line in lines.values()] == [2] * 9
    ends = [line["segments"][-1][-1][1] for line in lines.values()]
    assert ends == sorted(ends)


def test_completed_months_count_as_relativedelta_does_across_month_ends_and_leap_days():
    # The NG75 re-weigh interval goes by completed calendar months; growth.completed_months replaces
    # dateutil's relativedelta there for speed and must agree with it on every pair, month ends included.
    from datetime import date, timedelta

    from dateutil.relativedelta import relativedelta

    from homevisit.domain.growth import completed_months

    first = date(2023, 1, 1)
    for start in (first + timedelta(days=i) for i in range(0, 800)):
        for end in (start + timedelta(days=j) for j in (0, 1, 27, 28, 29, 30, 31, 58, 59, 60, 61, 180, 364, 365, 366, 700)):
            expected = relativedelta(end, start)
            assert completed_months(start, end) == expected.years * 12 + expected.months, (start, end)


@pytest.mark.parametrize("child", [
    {"sex": "female", "date_of_birth": "2025-01-10", "gestation_weeks": 39, "gestation_days": 3, "birth_weight_kg": 3.4},
    {"sex": "male", "date_of_birth": "2024-03-01", "gestation_weeks": 30, "gestation_days": 2, "birth_weight_kg": 1.4},
    {"sex": "male", "date_of_birth": "2025-02-01", "gestation_weeks": 35, "gestation_days": 0, "birth_weight_kg": 2.3},
], ids=["term", "born-30-weeks", "born-35-weeks"])
def test_the_stored_series_reads_as_the_computed_one(child):
    """#17: the record draws the growth stored at submit (growth.stored_series) instead of working it out
    again; given what submit stored, it reads exactly as growth_series does, across the end of correction
    for prematurity (first birthday from 32-36 weeks, second before 32), and draws the same chart."""
    dob = date.fromisoformat(child["date_of_birth"])
    days = [3, 20, 60, 200, 364, 366, 500, 729, 731, 900]
    measurements = [{"visit_id": f"v{d}", "measured_on": date.fromordinal(dob.toordinal() + d).isoformat(),
                     "weight_kg": round(child["birth_weight_kg"] + d * 0.012, 2)} for d in days]
    measurements.append({"visit_id": "late", "measured_on": "2023-01-01", "weight_kg": 4.0})  # before birth
    measurements.append({"visit_id": "low", "measured_on": date.fromordinal(dob.toordinal() + 201).isoformat(),
                         "weight_kg": round((child["birth_weight_kg"] + 201 * 0.012) * 0.8, 2)})  # below the 0.4th
    computed = growth.growth_series(child, measurements)
    stored = [{"visit_id": p["visit_id"], "measured_on": p["measured_on"], "weight_kg": p["weight_kg"],
               "weight_sds": p["sds"], "weight_centile": p["centile"],
               "centile_spaces_fallen_since_birth": p["centile_spaces_fallen_since_birth"]} for p in computed]
    read = growth.stored_series(child, list(reversed(stored)))
    keys = ("visit_id", "measured_on", "weight_kg", "sds", "centile", "centile_band_words", "age_days",
            "corrected_age_days", "age_used", "plotted_age_days", "centile_spaces_fallen_since_birth",
            "below_2nd", "below_0_4th")
    assert [{k: p[k] for k in keys} for p in read] == [{k: p[k] for k in keys} for p in computed]
    assert [p["error"] is None for p in read] == [p["error"] is None for p in computed]
    assert {p["age_used"] for p in read} == ({"chronological"} if child["gestation_weeks"] >= 37
                                            else {"corrected", "chronological"})
    assert any(p["below_0_4th"] for p in read)
    assert growth.weight_chart_svg(child, read) == growth.weight_chart_svg(child, computed)


def test_the_stored_series_shows_what_was_stored_not_a_new_calculation():
    """What the rules acted on is what the record prints: a stored SDS is shown as stored."""
    child = {"sex": "female", "date_of_birth": "2025-01-10", "gestation_weeks": 40, "birth_weight_kg": 3.4}
    stored = [{"visit_id": "v1", "measured_on": "2025-03-10", "weight_kg": 4.1, "weight_sds": -2.5,
               "weight_centile": 0.6, "centile_spaces_fallen_since_birth": 3.1}]
    (point,) = growth.stored_series(child, stored)
    assert (point["sds"], point["centile"], point["centile_spaces_fallen_since_birth"]) == (-2.5, 0.6, 3.1)
    assert point["centile_band_words"] == growth.centile_in_words(-2.5)
    assert growth.growth_series(child, [{"measured_on": "2025-03-10", "weight_kg": 4.1}])[0]["sds"] != -2.5
