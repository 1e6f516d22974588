#!/usr/bin/env python3
"""Generate ordertrack's demo data set in ``sample_data/``.

The data tell the last three months (2026-04-01 .. 2026-06-30) of 华东精工科技有限公司, a
mid-sized manufacturer-distributor of automation parts, as its systems would export them:
a Kingdee order list (XLSX, merged title row, total row), order lines (GBK CSV), stock,
carrier tracking (CSV with BOM), invoices, payments, customer feedback, the customer
master and the approval history. "Today" is 2026-06-30 17:00 Asia/Shanghai.

Deterministic: a fixed seed, the standard library's ``random`` and openpyxl only; XLSX
files get fixed document properties and zip timestamps, so re-running rewrites
``sample_data/`` byte for byte. Usage::

    .venv/bin/python tools/make_sample_data.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import shutil
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

SEED = 20260630
ROOT = Path(__file__).resolve().parent.parent
START = date(2026, 4, 1)
END = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 17, 0)  # Asia/Shanghai; all times below are local wall time
FIXED_STAMP = datetime(2026, 6, 30, 17, 0, 0)
COMPANY = "华东精工科技有限公司"
DIRECTOR_LIMIT = 100_000_00  # cents: orders above it need director approval

# 清明 (4/4-4/6), 劳动节 (5/1-5/5), 端午 (6/19-6/21): no orders, no office work.
HOLIDAYS = {
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 4),
    date(2026, 5, 5),
    date(2026, 6, 19),
}

STAGES = [
    ("order_entry", "订单录入"),
    ("business_review", "商务审核"),
    ("finance_approval", "财务审批"),
    ("director_approval", "总监审批"),
    ("picking", "仓库配货"),
    ("shipped", "物流发货"),
    ("signed", "客户签收"),
    ("invoiced", "开票"),
    ("paid", "回款"),
]
STAGE_ZH = dict(STAGES)
SH, SZ = "上海仓", "苏州仓"

# ---------------------------------------------------------------------------------------
# people: (name, login, role)

REPS = {  # sales rep -> follow-up clerk (跟单员)
    "张伟": "赵敏",
    "李娜": "孙丽",
    "王强": "周婷",
    "刘洋": "吴磊",
    "陈静": "郑雪",
    "Emily Zhou": "黄晓燕",
}
PEOPLE = [
    # name, login, role, title
    ("张伟", "zhangwei", "sales", "销售经理(华东)"),
    ("李娜", "lina", "sales", "销售经理(华东)"),
    ("王强", "wangqiang", "sales", "销售经理(华南)"),
    ("刘洋", "liuyang", "sales", "销售经理(华北)"),
    ("陈静", "chenjing", "sales", "销售经理(西南)"),
    ("Emily Zhou", "emily.zhou", "sales", "大客户经理(外资客户)"),
    ("赵敏", "zhaomin", "sales", "跟单员"),
    ("孙丽", "sunli", "sales", "跟单员"),
    ("周婷", "zhouting", "sales", "跟单员"),
    ("吴磊", "wulei", "sales", "跟单员"),
    ("郑雪", "zhengxue", "sales", "跟单员"),
    ("黄晓燕", "huangxiaoyan", "sales", "跟单员"),
    ("何佳", "hejia", "business", "商务专员"),
    ("林晓", "linxiao", "business", "商务专员"),
    ("杨帆", "yangfan", "finance", "财务经理"),
    ("谢芳", "xiefang", "finance", "开票会计"),
    ("许莉", "xuli", "finance", "出纳"),
    ("马骏", "majun", "director", "销售总监"),
    ("钱勇", "qianyong", "warehouse", "上海仓主管"),
    ("冯涛", "fengtao", "warehouse", "苏州仓主管"),
    ("蒋波", "jiangbo", "logistics", "物流主管"),
    ("韩雪", "hanxue", "purchasing", "采购主管"),
    ("高峰", "gaofeng", "production", "生产总监"),
    ("沈国栋", "shenguodong", "ceo", "总经理"),
    ("曹宇", "caoyu", "admin", "IT 管理员"),
]
REVIEWERS = ["何佳", "林晓"]
WAREHOUSE_KEEPER = {SH: "钱勇", SZ: "冯涛"}

# ---------------------------------------------------------------------------------------
# customers: (name, region, segment, contact, mail domain, rep)

CUSTOMERS_RAW = [
    ("苏州恒信精密机械有限公司", "华东", "战略客户", "沈建国", "hengxin-precision", "张伟"),
    ("昆山瑞祥自动化设备有限公司", "华东", "重点客户", "陆文杰", "ruixiang-auto", "张伟"),
    ("无锡华光智能装备有限公司", "华东", "战略客户", "钱晓峰", "huaguang-ie", "李娜"),
    ("常州天宇电气有限公司", "华东", "普通客户", "蒋海涛", "tianyu-elec", "李娜"),
    ("上海申达机电设备有限公司", "华东", "重点客户", "顾明", "shenda-me", "张伟"),
    ("上海浦江包装机械有限公司", "华东", "普通客户", "倪红", "pujiang-pack", "李娜"),
    ("杭州中科视觉科技有限公司", "华东", "重点客户", "俞斌", "zkvision", "张伟"),
    ("宁波甬港模具有限公司", "华东", "普通客户", "应国庆", "yonggang-mould", "李娜"),
    ("嘉兴博远新能源科技有限公司", "华东", "战略客户", "沈丽华", "boyuan-ne", "张伟"),
    ("南通海达重工有限公司", "华东", "重点客户", "季卫东", "haida-hi", "李娜"),
    ("合肥鑫锐机器人有限公司", "华东", "重点客户", "汪涛", "xinrui-robot", "张伟"),
    ("温州瓯江阀门有限公司", "华东", "普通客户", "林志成", "oujiang-valve", "李娜"),
    ("绍兴越达纺织机械有限公司", "华东", "普通客户", "金晓东", "yueda-tm", "李娜"),
    ("扬州宏图液压件有限公司", "华东", "普通客户", "卞小军", "hongtu-hyd", "张伟"),
    ("镇江金港船舶配套有限公司", "华东", "普通客户", "严峰", "jingang-marine", "李娜"),
    ("泰州新瑞医疗器械有限公司", "华东", "重点客户", "封雅琴", "xinrui-med", "张伟"),
    ("湖州南浔电机有限公司", "华东", "普通客户", "沈志伟", "nanxun-motor", "李娜"),
    ("台州东海汽配有限公司", "华东", "普通客户", "陈立新", "donghai-auto", "张伟"),
    ("上海嘉定联合汽车零部件有限公司", "华东", "战略客户", "朱海燕", "jdlh-parts", "李娜"),
    ("南京紫金数控机床有限公司", "华东", "重点客户", "孙浩", "zijin-cnc", "张伟"),
    ("徐州汇通工程机械配件有限公司", "华东", "普通客户", "刘建华", "huitong-cm", "李娜"),
    ("青岛海川智能装备有限公司", "华东", "重点客户", "王海滨", "haichuan-ie", "张伟"),
    ("济南鲁信机床附件有限公司", "华东", "普通客户", "孔令军", "luxin-mt", "李娜"),
    ("苏州工业园区凯越电子有限公司", "华东", "重点客户", "Kevin Wu", "kaiyue-sip", "Emily Zhou"),
    ("Northwind Trading Ltd", "华东", "重点客户", "Laura Chen", "northwind", "Emily Zhou"),
    (
        "Contoso Automation (Suzhou) Co., Ltd.",
        "华东",
        "战略客户",
        "Markus Bauer",
        "contoso",
        "Emily Zhou",
    ),
    ("A&B Industrial Co., Ltd.", "华东", "普通客户", "Tony Lee", "ab-industrial", "Emily Zhou"),
    ("深圳市鹏达（集团）电子有限公司", "华南", "战略客户", "黄志强", "pengda-group", "王强"),
    ("东莞市长盈五金制品有限公司", "华南", "重点客户", "邓伟明", "changying-hw", "王强"),
    ("广州粤丰食品机械有限公司", "华南", "普通客户", "梁少华", "yuefeng-fm", "王强"),
    ("佛山市顺德区美科电器有限公司", "华南", "重点客户", "何国荣", "meike-ea", "王强"),
    ("深圳市创新源激光设备有限公司", "华南", "重点客户", "罗杰", "cxy-laser", "王强"),
    ("珠海格林精密模具有限公司", "华南", "普通客户", "冯敏", "gelin-mould", "Emily Zhou"),
    ("中山市华艺灯饰有限公司", "华南", "普通客户", "区永强", "huayi-light", "王强"),
    ("惠州亿能电池设备有限公司", "华南", "战略客户", "叶振华", "yineng-bat", "王强"),
    ("厦门海沧自动化设备有限公司", "华南", "普通客户", "许文斌", "haicang-auto", "王强"),
    ("江门市新会机械有限公司", "华南", "普通客户", "甘志明", "xinhui-mach", "王强"),
    ("汕头市金平包装有限公司", "华南", "普通客户", "蔡泽鹏", "jinping-pack", "王强"),
    ("Pacific Rim Automation Pte. Ltd.", "华南", "重点客户", "Raymond Tan", "pacrim", "Emily Zhou"),
    ("O'Neil & Sons Machinery Co.", "华南", "普通客户", "Sean O'Neil", "oneil-sons", "Emily Zhou"),
    ("北京中关村智造科技有限公司", "华北", "重点客户", "赵磊", "zgc-zhizao", "刘洋"),
    ("天津滨海泰达机械有限公司", "华北", "重点客户", "张海军", "teda-mach", "刘洋"),
    ("保定华拓电气设备有限公司", "华北", "普通客户", "李永刚", "huatuo-elec", "刘洋"),
    ("石家庄冀中重工有限公司", "华北", "普通客户", "郭志刚", "jizhong-hi", "刘洋"),
    ("唐山冀东钢构有限公司", "华北", "普通客户", "田建军", "jidong-steel", "刘洋"),
    ("太原晋阳工业自动化有限公司", "华北", "普通客户", "王晋生", "jinyang-ia", "刘洋"),
    ("呼和浩特蒙源乳品机械有限公司", "华北", "普通客户", "巴特尔", "mengyuan-dm", "刘洋"),
    ("廊坊开元物流装备有限公司", "华北", "重点客户", "孟凡华", "kaiyuan-le", "刘洋"),
    ("沈阳北方重机配件有限公司", "华北", "普通客户", "于洪波", "beifang-hm", "刘洋"),
    ("Harbor Tech Engineering Ltd", "华北", "普通客户", "David Liu", "harbortech", "Emily Zhou"),
    ("成都蓉城智能制造有限公司", "西南", "战略客户", "杨勇", "rongcheng-im", "陈静"),
    ("重庆两江汽车配件有限公司", "西南", "重点客户", "冉光明", "liangjiang-ap", "陈静"),
    ("重庆渝北电子科技有限公司", "西南", "普通客户", "邓小兵", "yubei-et", "陈静"),
    ("昆明滇池精密仪器有限公司", "西南", "普通客户", "段丽", "dianchi-pi", "陈静"),
    ("贵阳黔丰烟草机械有限公司", "西南", "重点客户", "吴国华", "qianfeng-tm", "陈静"),
    ("绵阳科创电子有限公司", "西南", "普通客户", "蒲俊", "kechuang-et", "陈静"),
    ("宜宾川南新材料有限公司", "西南", "普通客户", "代文", "chuannan-nm", "陈静"),
    ("成都天府锂电设备有限公司", "西南", "重点客户", "何川", "tianfu-li", "陈静"),
    ("南宁桂冠机电设备有限公司", "华南", "普通客户", "韦志坚", "guiguan-me", "王强"),
    ("大连海湾船用设备有限公司", "华北", "普通客户", "孙德明", "haiwan-marine", "刘洋"),
]
SEGMENT_WEIGHT = {"战略客户": 5.0, "重点客户": 2.4, "普通客户": 1.0}
SEGMENT_DISCOUNT = {"战略客户": 0.86, "重点客户": 0.92, "普通客户": 1.0}
SEGMENT_CREDIT = {
    "战略客户": (1_500_000, 3_000_000),
    "重点客户": (500_000, 1_200_000),
    "普通客户": (100_000, 300_000),
}
SEGMENT_TERMS = {"战略客户": 45, "重点客户": 30, "普通客户": 30}

# ---------------------------------------------------------------------------------------
# catalogue: (code, name, unit, list price, warehouses, kind)
# kind: e = electrical, m = mechanical, f = fasteners, o = own products (made to order),
# c = consumables sold by length

CATALOG_RAW = [
    ("01.01.0001", "变频器 ACS580-01-12A", "台", 6850, "SH", "e"),
    ("01.01.0002", "变频器 ACS580-01-026A", "台", 11200, "SH", "e"),
    ("01.01.0003", "变频器 ACS580-01-046A", "台", 17800, "SH", "e"),
    ("01.01.0004", "变频器 G120C 6SL3210-1KE21-3UF1", "台", 5480, "SH", "e"),
    ("01.01.0005", "变频器 MD500T7.5GB", "台", 3260, "SH SZ", "e"),
    ("01.01.0006", "变频器 MD290T18.5G/22P", "台", 6980, "SH", "e"),
    ("02.01.0001", "伺服电机 MS1H1-40B30CB", "台", 1350, "SH SZ", "e"),
    ("02.01.0002", "伺服电机 MS1H1-75B30CB", "台", 1680, "SH SZ", "e"),
    ("02.01.0003", "伺服电机 MS1H3-85B15CB", "台", 2860, "SH", "e"),
    ("02.01.0004", "伺服电机 MS1H2-10C30CB", "台", 3420, "SH", "e"),
    ("02.02.0001", "伺服驱动器 SV660PS2R8I", "台", 1920, "SH SZ", "e"),
    ("02.02.0002", "伺服驱动器 SV660PS5R5I", "台", 2580, "SH", "e"),
    ("02.02.0003", "伺服驱动器 SV660PS7R6I", "台", 3150, "SH", "e"),
    ("02.03.0001", "伺服编码器线 S6-L-P114-3.0", "根", 168, "SH SZ", "e"),
    ("02.03.0002", "伺服动力线 S6-L-M107-3.0", "根", 142, "SH SZ", "e"),
    ("03.01.0001", "PLC CPU 1214C 6ES7214-1AG40-0XB0", "台", 3180, "SH", "e"),
    ("03.01.0002", "PLC H5U-1614MTD-A8", "台", 1460, "SH", "e"),
    ("03.01.0003", "PLC FX5U-32MT/ES", "台", 2690, "SH", "e"),
    ("03.01.0004", "数字量模块 SM1223 6ES7223-1BL32-0XB0", "个", 1280, "SH", "e"),
    ("03.02.0001", "触摸屏 MT8071iE 7寸", "台", 1190, "SH", "e"),
    ("03.02.0002", "触摸屏 TK6071iP 7寸", "台", 720, "SH SZ", "e"),
    ("03.02.0003", "触摸屏 MT8102iE 10寸", "台", 2150, "SH", "e"),
    ("04.01.0001", "工业交换机 8口 非网管", "台", 680, "SH SZ", "e"),
    ("04.01.0002", "工业交换机 16口 网管型", "台", 3260, "SH", "e"),
    ("04.01.0003", "工业交换机 5口", "台", 385, "SH", "e"),
    ("04.01.0004", "工业以太网线 CAT6 5m", "根", 46, "SH", "e"),
    ("04.01.0005", "4G工业路由器", "台", 1180, "SH", "e"),
    ("05.01.0001", "接近开关 E2E-X5ME1", "个", 96, "SH SZ", "e"),
    ("05.01.0002", "光电开关 E3Z-D61", "个", 158, "SH SZ", "e"),
    ("05.01.0003", "旋转编码器 E6B2-CWZ6C 1000P/R", "个", 520, "SH", "e"),
    ("05.01.0004", "光栅尺 KA300-470mm", "根", 1350, "SZ", "e"),
    ("05.01.0005", "压力变送器 0-1.6MPa", "个", 460, "SH", "e"),
    ("05.01.0006", "温度传感器 PT100 M8×50", "个", 38, "SH", "e"),
    ("06.01.0001", "中间继电器 RXM2LB2BD", "个", 28.5, "SH SZ", "e"),
    ("06.01.0002", "继电器底座 RXZE2M114M", "个", 12.8, "SH SZ", "e"),
    ("06.01.0003", "微型断路器 iC65N 3P C32", "个", 265, "SH", "e"),
    ("06.01.0004", "交流接触器 LC1D25M7C", "个", 318, "SH", "e"),
    ("06.01.0005", "开关电源 LRS-350-24", "个", 168, "SH SZ", "e"),
    ("06.01.0006", "导轨电源 NDR-240-24", "个", 289, "SH", "e"),
    ("06.01.0007", "按钮指示灯 XB2系列", "个", 22, "SH", "e"),
    ("06.01.0008", "配电柜 800×600×250", "台", 1680, "SZ", "m"),
    ("07.01.0001", "M8×30 内六角螺栓 12.9级", "盒", 46, "SZ SH", "f"),
    ("07.01.0002", "M6×20 内六角螺栓 12.9级", "盒", 24, "SZ SH", "f"),
    ("07.01.0003", "M10×40 外六角螺栓 8.8级", "盒", 62, "SZ", "f"),
    ("07.01.0004", "M12×50 外六角螺栓 8.8级", "盒", 88, "SZ", "f"),
    ("07.01.0005", "M5×12 十字盘头螺钉 不锈钢", "盒", 19, "SZ SH", "f"),
    ("07.02.0001", "M8 弹簧垫圈", "盒", 8.5, "SZ", "f"),
    ("07.02.0002", "M12 法兰螺母", "盒", 36, "SZ", "f"),
    ("07.02.0003", "M6 T型螺母 铝型材用", "盒", 32, "SZ", "f"),
    ("08.01.0001", "深沟球轴承 6205-2RS", "个", 42, "SZ", "m"),
    ("08.01.0002", "深沟球轴承 6308-2Z", "个", 118, "SZ", "m"),
    ("08.01.0003", "直线导轨 HGR20-1000mm", "根", 428, "SZ", "m"),
    ("08.01.0004", "直线滑块 HGH20CA", "个", 262, "SZ", "m"),
    ("08.01.0005", "滚珠丝杠 SFU1605-500mm", "根", 386, "SZ", "m"),
    ("08.01.0006", "梅花联轴器 D40L50", "个", 68, "SZ SH", "m"),
    ("08.02.0001", "同步带轮 HTD5M-30T", "个", 55, "SZ", "m"),
    ("08.02.0002", "同步带 HTD5M-800-25", "条", 78, "SZ", "m"),
    ("09.01.0001", "薄型气缸 CDQ2B32-20DZ", "个", 335, "SH SZ", "m"),
    ("09.01.0002", "电磁阀 SY5120-5DZ-01", "个", 212, "SH SZ", "m"),
    ("09.01.0003", "气源处理器 AW30-03BG", "个", 268, "SH", "m"),
    ("09.01.0004", "PU气管 8mm×100m", "卷", 192, "SH SZ", "c"),
    ("09.01.0005", "快插接头 KQ2H08-02AS", "个", 9.6, "SH SZ", "f"),
    ("09.01.0006", "真空吸盘 ZP3-T10BS", "个", 24, "SH", "m"),
    ("10.01.0001", "屏蔽电缆 RVVP 4×0.75 100m", "卷", 385, "SH", "c"),
    ("10.01.0002", "电源电缆 RVV 3×2.5 100m", "卷", 560, "SH", "c"),
    ("10.01.0003", "拖链电缆 TRVV 8×0.5", "米", 18.5, "SH", "c"),
    ("11.01.0001", "三相异步电机 YE3-100L2-4 3kW", "台", 1960, "SZ", "m"),
    ("11.01.0002", "三相异步电机 YE3-132M-4 7.5kW", "台", 3880, "SZ", "m"),
    ("11.01.0003", "行星减速机 PLF60-10", "台", 960, "SZ SH", "m"),
    ("11.01.0004", "蜗轮蜗杆减速机 NMRV050 i=20", "台", 485, "SZ", "m"),
    ("11.01.0005", "齿轮减速电机 0.75kW i=30", "台", 1690, "SZ", "m"),
    ("12.01.0001", "铝型材 4040", "米", 38, "SZ", "c"),
    ("12.01.0002", "铝型材 4080", "米", 62, "SZ", "c"),
    ("12.01.0003", "角码 4040", "个", 3.8, "SZ", "f"),
    ("20.01.0001", "精密主轴 JG-SP80", "台", 8650, "SZ", "o"),
    ("20.01.0002", "精密主轴 JG-SP120", "台", 14800, "SZ", "o"),
    ("20.01.0003", "定制夹具 JG-FX-2031", "套", 3250, "SZ", "o"),
    ("20.01.0004", "机架总成 JG-FR-1200", "套", 12800, "SZ", "o"),
    ("20.01.0005", "机器人末端夹爪 JG-GR-50", "套", 4620, "SZ", "o"),
    ("20.01.0006", "视觉检测模组 JG-VS-200", "套", 21800, "SZ", "o"),
    ("20.01.0007", "输送线模组 JG-CV-3000", "套", 36500, "SZ", "o"),
    ("20.01.0008", "自动化工作站 JG-WS-01", "套", 68000, "SZ", "o"),
    ("20.01.0009", "分度转台 JG-RT-250", "台", 9860, "SZ", "o"),
    ("20.01.0010", "气动夹紧单元 JG-CL-40", "套", 1280, "SZ", "o"),
    ("20.02.0001", "主轴维修包 JG-SP80-RK", "套", 1980, "SZ", "o"),
    ("20.02.0002", "导轨防护罩 JG-CV-800", "件", 460, "SZ", "o"),
]

AMOUNT_BANDS = [  # (share of orders, low, high) in yuan
    (0.05, 1_500, 5_000),
    (0.80, 5_000, 90_000),
    (0.03, 90_000, 99_000),  # just under the director's limit
    (0.105, 108_000, 290_000),
    (0.015, 320_000, 620_000),
]

CARRIERS = ["顺丰速运", "京东物流", "德邦快递", "中通快递"]
TRANSIT_DAYS = {"顺丰速运": (1, 2), "京东物流": (1, 3), "德邦快递": (2, 4), "中通快递": (2, 4)}


# ---------------------------------------------------------------------------------------
# model


@dataclass
class Sku:
    code: str
    name: str
    unit: str
    price: int  # list price, cents
    warehouses: list[str]
    kind: str

    def qty_range(self) -> tuple[int, int, int]:
        """(min, max, step) of a typical order line."""
        p = self.price / 100
        if self.unit == "米":
            return 10, 400, 10
        if self.kind == "o":
            return 1, 6 if p > 20000 else 12, 1
        if p >= 5000:
            return 1, 12, 1
        if p >= 1000:
            return 1, 40, 1
        if p >= 100:
            return 2, 120, 2 if p < 300 else 1
        if p >= 20:
            return 10, 400, 10
        return 50, 2000, 50


@dataclass
class Customer:
    code: str
    name: str
    region: str
    segment: str
    contact: str
    email: str
    rep: str
    credit: int
    monthly_invoice: bool


@dataclass
class Line:
    no: int
    sku: Sku
    qty: int
    price: int  # cents, tax included
    warehouse: str

    @property
    def amount(self) -> int:
        return self.qty * self.price


@dataclass
class Shipment:
    id: str
    warehouse: str
    carrier: str
    tracking: str
    shipped_at: datetime
    delivered_at: datetime | None  # None: not (yet) delivered
    status: str
    freight: int  # cents
    expedited: bool


@dataclass
class Order:
    id: str
    customer: Customer
    rep: str
    follow_up: str
    order_date: date
    entered_at: datetime
    promised: date
    planned_ship: date
    lines: list[Line]
    note: str = ""
    events: list[tuple[str, datetime, str]] = field(default_factory=list)  # stage, at, actor
    shipments: list[Shipment] = field(default_factory=list)
    invoices: list[tuple[str, date, int]] = field(default_factory=list)  # id, date, amount
    payments: list[tuple[str, date, int, str]] = field(default_factory=list)
    plan: str = "normal"  # normal | late_ship | waiting_stock | transit_delay
    exception: str = ""  # 派送异常 | 拒收 | 退回

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def stage(self) -> str:
        return self.events[-1][0]

    def entered(self, stage: str) -> datetime | None:
        for s, at, _ in self.events:
            if s == stage:
                return at
        return None

    @property
    def delivered_at(self) -> datetime | None:
        if not self.shipments or any(s.delivered_at is None for s in self.shipments):
            return None
        return max(s.delivered_at for s in self.shipments if s.delivered_at)

    @property
    def delivered_on(self) -> date:
        """The day the last parcel was signed for (only for delivered orders)."""
        d = self.delivered_at
        assert d is not None
        return d.date()

    @property
    def late(self) -> bool:
        d = self.delivered_at
        return d is not None and d.date() > self.promised


# ---------------------------------------------------------------------------------------
# calendar


def workday(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def next_workday(d: date, n: int = 1) -> date:
    while n > 0:
        d += timedelta(days=1)
        if workday(d):
            n -= 1
    return d


def on_or_after_workday(d: date) -> date:
    while not workday(d):
        d += timedelta(days=1)
    return d


def business(t: datetime) -> datetime:
    """``t`` moved forward to the next moment within office hours (Mon-Fri 9:00-18:00)."""
    if not workday(t.date()) or t.time() >= time(18):
        return datetime.combine(next_workday(t.date()), time(9))
    if t.time() < time(9):
        return datetime.combine(t.date(), time(9))
    return t


def add_business(t: datetime, minutes: float) -> datetime:
    t = business(t)
    left = timedelta(minutes=minutes)
    while True:
        end = datetime.combine(t.date(), time(18))
        if t + left <= end:
            return t + left
        left -= end - t
        t = datetime.combine(next_workday(t.date()), time(9))


def at_office(rng: random.Random, d: date, start: float = 9.0, end: float = 17.75) -> datetime:
    minutes = rng.randint(int(start * 60), int(end * 60))
    return datetime.combine(d, time(minutes // 60, minutes % 60, rng.randint(0, 59)))


def jitter(rng: random.Random, t: datetime) -> datetime:
    return t.replace(second=rng.randint(0, 59), microsecond=0)


# ---------------------------------------------------------------------------------------
# money and text


def yuan(cents: int, sep: bool = False) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole = f"{cents // 100:,}" if sep else str(cents // 100)
    return f"{sign}{whole}.{cents % 100:02d}"


def cents_of(value: float) -> int:
    return int(Decimal(str(value)).scaleb(2).quantize(Decimal(1), ROUND_HALF_UP))


def vat_of(gross: int) -> int:
    """The 13% VAT included in a gross amount, rounded half up."""
    return int((Decimal(gross) * 13 / 113).quantize(Decimal(1), ROUND_HALF_UP))


def ts(t: datetime | None, seconds: bool = True) -> str:
    if t is None:
        return ""
    return t.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------
# generation


class World:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.skus = [
            Sku(
                code,
                name,
                unit,
                cents_of(price),
                [{"SH": SH, "SZ": SZ}[w] for w in whs.split()],
                kind,
            )
            for code, name, unit, price, whs, kind in CATALOG_RAW
        ]
        self.sku_by_code = {s.code: s for s in self.skus}
        self.customers = self._customers()
        self.orders: list[Order] = []
        self.short_skus: list[str] = []
        self.inventory: list[
            tuple[Sku, str, int, int, int]
        ] = []  # sku, wh, on hand, reserved, cost
        self.feedback: list[tuple[str, str, date, bool, str, int, str]] = []

    # -- customers ---------------------------------------------------------------------
    def _customers(self) -> list[Customer]:
        rng = self.rng
        out = []
        for i, (name, region, segment, contact, domain, rep) in enumerate(CUSTOMERS_RAW):
            lo, hi = SEGMENT_CREDIT[segment]
            credit = rng.randrange(lo, hi + 1, 50_000) * 100
            local = contact.split()[0].lower() if contact.isascii() else "caigou"
            out.append(
                Customer(
                    code=f"KH{1001 + i}",
                    name=name,
                    region=region,
                    segment=segment,
                    contact=contact,
                    email=f"{local}@{domain}.example.com",
                    rep=rep,
                    credit=credit,
                    monthly_invoice=segment == "战略客户" or rng.random() < 0.25,
                )
            )
        return out

    # -- orders ------------------------------------------------------------------------
    def amount_bands(self, n: int) -> list[tuple[int, int]]:
        """Exactly the bands' shares of ``n`` orders, in random order."""
        deck: list[tuple[int, int]] = []
        for share, lo, hi in AMOUNT_BANDS[2:]:
            deck += [(lo, hi)] * round(share * n)
        deck += [AMOUNT_BANDS[0][1:]] * round(AMOUNT_BANDS[0][0] * n)
        deck += [AMOUNT_BANDS[1][1:]] * (n - len(deck))
        self.rng.shuffle(deck)
        return deck

    def order_amount_target(self, lo: int, hi: int) -> int:
        rng = self.rng
        # log-uniform: small orders are more common than big ones
        return int(math.exp(rng.uniform(math.log(lo), math.log(hi))) * 100)

    def make_lines(self, target: int, customer: Customer) -> list[Line]:
        rng = self.rng
        n = rng.choices([1, 2, 3, 4, 5], [24, 26, 22, 16, 12])[0]
        if target < 8_000_00:
            n = min(n, 2)
        home = rng.choice([SH, SZ]) if customer.region == "华东" else rng.choice([SH, SH, SZ])
        shares = [rng.uniform(0.5, 1.0) for _ in range(n)]
        shares[0] *= 2.2  # a main item and accessories
        total = sum(shares)
        discount = SEGMENT_DISCOUNT[customer.segment] * rng.choice([1.0, 1.0, 1.0, 0.98, 0.95])
        lines: list[Line] = []
        used: set[str] = set()
        for share in sorted(shares, reverse=True):
            s = target * share / total
            cands = []
            for sku in self.skus:
                if sku.code in used:
                    continue
                lo, hi, _ = sku.qty_range()
                if lo * sku.price <= s <= hi * sku.price:
                    weight = 1.0 if home in sku.warehouses else 0.12
                    cands.append((sku, weight))
            if cands:
                sku = rng.choices([c[0] for c in cands], [c[1] for c in cands])[0]
            else:  # bigger than any single SKU's usual line: the dearest ones, in bulk
                pool = [k for k in self.skus if k.code not in used]
                sku = max(pool, key=lambda k: (k.price, k.code))
            used.add(sku.code)
            lo, hi, step = sku.qty_range()
            price = int(
                (Decimal(sku.price) * Decimal(str(discount))).quantize(Decimal(1), ROUND_HALF_UP)
            )
            qty = max(lo, round(s / price / step) * step)
            if cands:
                qty = min(qty, hi)
            wh = home if home in sku.warehouses else sku.warehouses[0]
            lines.append(Line(len(lines) + 1, sku, qty, price, wh))
        return lines

    def make_orders(self) -> None:
        rng = self.rng
        weights = [SEGMENT_WEIGHT[c.segment] for c in self.customers]
        days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
        drafts = []
        for d in days:
            if not workday(d):
                continue
            # busier towards quarter end; Mondays busier
            base = 5.6 + 1.6 * (d - START).days / 90 + (1.5 if d.weekday() == 0 else 0)
            n = max(1, round(rng.gauss(base, 1.6)))
            for _ in range(n):
                end = 16.5 if d == END else 17.75
                drafts.append(
                    (at_office(rng, d, 8.75, end), rng.choices(self.customers, weights)[0])
                )
        drafts.sort(key=lambda x: (x[0], x[1].code))
        seq: Counter[str] = Counter()
        bands = self.amount_bands(len(drafts))
        for (entered, customer), (lo, hi) in zip(drafts, bands, strict=True):
            ym = entered.strftime("%y%m")
            seq[ym] += 1
            oid = f"SO-{ym}-{seq[ym]:04d}"
            target = self.order_amount_target(lo, hi)
            lines = self.make_lines(target, customer)
            d = entered.date()
            lead = rng.randint(10, 35)
            made_to_order = any(line.sku.kind == "o" for line in lines)
            if made_to_order:
                lead = max(lead, rng.randint(18, 35))  # longer promise
            # what will happen to it, decided up front so the shares do not depend on timing;
            # tight promises are the ones that slip
            r = rng.random()
            if r < 0.16:
                plan = "late_ship"  # stock short or production late: ships after the plan
                lead = rng.randint(10, 16) if not made_to_order else rng.randint(16, 22)
            elif r < 0.20:
                plan = "transit_delay"
            elif made_to_order:
                plan = "scheduled"  # ships when production is done
            else:
                plan = "normal"
            promised = d + timedelta(days=lead)
            planned = promised - timedelta(days=rng.randint(2, 5))
            follow_up = REPS[customer.rep]
            note = ""
            r = rng.random()
            if r < 0.06:
                note = "客户指定顺丰"
            elif r < 0.10:
                note = "月结客户,月底统一开票" if customer.monthly_invoice else "款到发货"
            elif r < 0.13:
                note = "分批发货"
            elif r < 0.15:
                note = "加急"
            self.orders.append(
                Order(
                    oid,
                    customer,
                    customer.rep,
                    follow_up,
                    d,
                    entered,
                    promised,
                    planned,
                    lines,
                    note,
                    plan=plan,
                )
            )

    # -- the flow ----------------------------------------------------------------------
    def simulate(self) -> None:
        for o in self.orders:
            self._approvals(o)
        for o in self.orders:
            self._ship(o)
        self._choose_exceptions()
        for o in self.orders:
            self._deliver_and_bill(o)
        for o in self.orders:
            o.events = [e for e in o.events if e[1] <= NOW]

    def _approvals(self, o: Order) -> None:
        rng = self.rng
        entry_actor = o.follow_up if rng.random() < 0.7 else o.rep
        t = jitter(rng, o.entered_at)
        o.events.append(("order_entry", t, entry_actor))
        if rng.random() < 0.1 or t >= datetime(2026, 6, 30, 15):  # a draft, submitted later
            t = add_business(t, rng.uniform(100, 400))
        else:
            t = add_business(t, rng.choice([3, 5, 8, 12, 20, 35, 60, 90]) + rng.random() * 10)
        o.events.append(("business_review", jitter(rng, t), entry_actor))
        r = rng.random()
        if r < 0.74:
            dwell = rng.uniform(12, 110)
        elif r < 0.93:
            dwell = rng.uniform(130, 420)  # the stuck hand-off: reviewer in meetings
        else:
            dwell = rng.uniform(540, 1400)  # over a day: waiting for the customer's PO
        if t.date() >= date(2026, 6, 29):
            dwell = max(dwell, rng.uniform(60, 600))  # quarter-end rush: 何佳 is on leave
        t = add_business(t, dwell)
        reviewer = rng.choice(REVIEWERS)
        o.events.append(("finance_approval", jitter(rng, t), reviewer))
        r = rng.random()
        if r < 0.62:
            dwell = rng.uniform(25, 300)
        elif r < 0.92:
            dwell = rng.uniform(300, 700)
        else:
            dwell = rng.uniform(900, 1800)  # credit check: over the limit, waiting for payment
        if t.date() >= date(2026, 6, 29):
            dwell = max(dwell, rng.uniform(200, 800))  # finance is closing the quarter
        t = add_business(t, dwell)
        if o.amount > DIRECTOR_LIMIT:
            o.events.append(("director_approval", jitter(rng, t), "杨帆"))
            r = rng.random()
            if r < 0.5:
                dwell = rng.uniform(60, 540)
            elif r < 0.78:
                dwell = rng.uniform(540, 1080)
            else:
                dwell = rng.uniform(1200, 2400)  # over the weekend
            back = datetime(2026, 7, 1, 9, 30)  # 马骏 travels from 6/24 and signs on his return
            if date(2026, 6, 24) <= t.date():
                t = max(add_business(t, dwell), add_business(back, rng.uniform(0, 240)))
            else:
                t = add_business(t, dwell)
            o.events.append(("picking", jitter(rng, t), "马骏"))
        else:
            o.events.append(("picking", jitter(rng, t), "杨帆"))

    def _ship(self, o: Order) -> None:
        rng = self.rng
        picking = o.events[-1][1]
        earliest = add_business(picking, rng.uniform(240, 1500))
        if o.plan == "late_ship":
            ready_day = next_workday(o.planned_ship, rng.randint(2, 8))
            if ready_day >= date(2026, 6, 25) and o.planned_ship <= date(2026, 6, 30):
                o.plan = "waiting_stock"  # not shipped by "today": waiting for stock
                ready_day = next_workday(max(NOW.date(), ready_day), rng.randint(2, 8))
            ready = max(earliest, at_office(rng, ready_day, 9.5, 17.5))
        elif o.plan == "scheduled":
            ready_day = on_or_after_workday(o.planned_ship - timedelta(days=rng.randint(0, 3)))
            ready = max(earliest, at_office(rng, ready_day, 9.5, 17.5))
        else:
            ready = earliest
        ready = jitter(rng, ready)
        warehouses = sorted({line.warehouse for line in o.lines})
        for i, wh in enumerate(warehouses):
            shipped = ready if i == 0 else jitter(rng, add_business(ready, rng.uniform(0, 600)))
            expedited = (
                (o.plan in ("late_ship", "waiting_stock") and rng.random() < 0.3)
                or o.note == "加急"
                or rng.random() < 0.025
            )
            if o.note == "客户指定顺丰" or (expedited and rng.random() < 0.8):
                carrier = "顺丰速运"
            elif (
                any(line.sku.kind in "om" and line.warehouse == wh for line in o.lines)
                and o.amount > 30_000_00
                and rng.random() < 0.4
            ):
                carrier = "德邦快递"
            else:
                carrier = rng.choices(CARRIERS, [30, 25, 20, 25])[0]
            value = sum(line.amount for line in o.lines if line.warehouse == wh)
            freight = max(18_00, int(value * rng.uniform(0.004, 0.011)))
            if carrier == "德邦快递":
                freight = max(freight, rng.randint(120, 260) * 100)
            if expedited:
                freight = int(freight * rng.uniform(1.6, 2.4))
            freight = freight // 50 * 50  # carriers bill to the half yuan
            o.shipments.append(
                Shipment(
                    "", wh, carrier, self._tracking(carrier), shipped, None, "", freight, expedited
                )
            )
        o.events.append(
            ("shipped", o.shipments[0].shipped_at, WAREHOUSE_KEEPER[o.shipments[0].warehouse])
        )

    def _tracking(self, carrier: str) -> str:
        rng = self.rng
        digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
        if carrier == "顺丰速运":
            return "SF" + rng.choice("1345") + digits(12)
        if carrier == "京东物流":
            return "JDVC" + digits(11)
        if carrier == "德邦快递":
            return "DPK" + rng.choice("3456") + digits(11)
        return "7" + rng.choice("35678") + digits(12)

    def _choose_exceptions(self) -> None:
        rng = self.rng
        single = [o for o in self.orders if len(o.shipments) == 1]
        pool = [
            o
            for o in single
            if date(2026, 6, 20) <= o.shipments[0].shipped_at.date() <= date(2026, 6, 28)
            and o.plan != "transit_delay"
        ]
        for o in rng.sample(pool, 7):
            o.exception = "派送异常"
        pool = [
            o
            for o in single
            if date(2026, 5, 25) <= o.shipments[0].shipped_at.date() <= date(2026, 6, 16)
            and not o.exception
        ]
        picked = rng.sample(pool, 3)
        picked[0].exception = picked[1].exception = "拒收"
        picked[2].exception = "退回"

    def _deliver_and_bill(self, o: Order) -> None:
        rng = self.rng
        extra = {"西南": 1, "华北": 1}.get(o.customer.region, 0)
        for s in o.shipments:
            lo, hi = TRANSIT_DAYS[s.carrier]
            days = rng.randint(lo, hi) + extra
            if s.expedited:
                days = max(1, days - 1)
            if o.plan == "transit_delay":
                days += rng.randint(3, 6)  # the carrier lost a day or three (派送异常, resolved)
            d = s.shipped_at.date() + timedelta(days=days)
            if d.weekday() == 6 and rng.random() < 0.7:
                d += timedelta(days=1)  # few deliveries on Sundays
            s.delivered_at = datetime.combine(d, time(rng.randint(9, 19), rng.randint(0, 59)))
            if o.exception:
                s.delivered_at = None
                s.status = o.exception
            elif s.shipped_at > NOW:
                s.status = ""
            elif s.delivered_at > NOW:
                s.delivered_at = None
                s.status = "运输中"
            else:
                s.status = "已签收"
        delivered = o.delivered_at
        if delivered is None:
            return
        o.events.append(("signed", delivered, o.follow_up))
        # invoicing: monthly customers at month end, others within days
        c = o.customer
        if c.monthly_invoice:
            month_end = date(delivered.year, delivered.month % 12 + 1, 1) - timedelta(days=1)
            while not workday(month_end):
                month_end -= timedelta(days=1)
            if month_end <= delivered.date():  # signed on the last day: next month's run
                month_end = date(delivered.year, delivered.month % 12 + 2, 1) - timedelta(days=1)
                while not workday(month_end):
                    month_end -= timedelta(days=1)
            inv_day = month_end
        else:
            inv_day = next_workday(delivered.date(), rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8]))
            if rng.random() < 0.1:
                inv_day = next_workday(inv_day, rng.randint(8, 16))  # finance short of hands
        inv_at = at_office(rng, inv_day, 9.5, 17.0)
        if inv_at > NOW:
            return
        amount = o.amount
        parts = [amount] if amount <= 300_000_00 else [amount // 2, amount - amount // 2]
        for p in parts:
            o.invoices.append(("", inv_day, p))
        o.events.append(("invoiced", inv_at, "谢芳"))
        # payment: terms after the invoice, some late, some in two instalments
        terms = SEGMENT_TERMS[c.segment]
        due = inv_day + timedelta(days=terms)
        r = rng.random()
        if r < 0.25:
            pay_day = inv_day + timedelta(days=rng.randint(5, terms - 5))
        elif r < 0.80:
            pay_day = due + timedelta(days=rng.randint(-5, 5))
        else:
            pay_day = due + timedelta(days=rng.randint(10, 40))
        # short-term customers often pay right away
        if c.segment == "普通客户" and rng.random() < 0.35:
            pay_day = inv_day + timedelta(days=rng.randint(3, 15))
        pay_day = on_or_after_workday(pay_day)
        method = (
            "承兑汇票"
            if (amount > 50_000_00 and rng.random() < 0.4)
            or (amount > 20_000_00 and rng.random() < 0.1)
            else "银行转账"
        )
        instalments: list[tuple[date, int]]
        if rng.random() < 0.08 and amount > 20_000_00:
            first = amount * rng.choice([3, 5]) // 10 // 100_00 * 100_00
            second_day = on_or_after_workday(pay_day + timedelta(days=rng.randint(12, 30)))
            instalments = [(pay_day, first), (second_day, amount - first)]
        else:
            instalments = [(pay_day, amount)]
        paid = 0
        for day, value in instalments:
            at = at_office(rng, day, 9.5, 17.0)
            if at > NOW:
                break
            o.payments.append(("", day, value, method))
            paid += value
            if paid == amount:
                o.events.append(("paid", at, "许莉"))

    # -- ids for documents, in date order ------------------------------------------------
    def number_documents(self) -> None:
        ships = sorted(
            (s.shipped_at, o.id, i)
            for o in self.orders
            for i, s in enumerate(o.shipments)
            if s.shipped_at <= NOW
        )
        seq: Counter[str] = Counter()
        by_key = {(o.id, i): s for o in self.orders for i, s in enumerate(o.shipments)}
        for at, oid, i in ships:
            ym = at.strftime("%y%m")
            seq[ym] += 1
            by_key[(oid, i)].id = f"FH-{ym}-{seq[ym]:04d}"
        for o in self.orders:
            o.shipments = [s for s in o.shipments if s.shipped_at <= NOW]
        invs = sorted((d, o.id, i) for o in self.orders for i, (_, d, _) in enumerate(o.invoices))
        by_order = {o.id: o for o in self.orders}
        for n, (_d, oid, i) in enumerate(invs):
            # 数电发票 (fully digital e-invoice) numbers: 20 digits
            inv = by_order[oid].invoices[i]
            by_order[oid].invoices[i] = (f"2631200000{1_734_520 + n * 3:010d}", inv[1], inv[2])
        pays = sorted(
            (d, o.id, i) for o in self.orders for i, (_, d, _, _) in enumerate(o.payments)
        )
        seq = Counter()
        for d, oid, i in pays:
            ym = d.strftime("%y%m")
            seq[ym] += 1
            p = by_order[oid].payments[i]
            by_order[oid].payments[i] = (f"SK-{ym}-{seq[ym]:04d}", p[1], p[2], p[3])

    # -- stock -------------------------------------------------------------------------
    def make_inventory(self) -> None:
        rng = self.rng
        open_orders = [o for o in self.orders if not o.shipments]
        demand: dict[str, int] = defaultdict(int)
        demand_wh: dict[tuple[str, str], int] = defaultdict(int)
        for o in open_orders:
            for line in o.lines:
                demand[line.sku.code] += line.qty
                demand_wh[(line.sku.code, line.warehouse)] += line.qty
        # short: first the SKUs that keep the orders waiting in picking, then others
        short: list[str] = []
        waiting = sorted((o for o in open_orders if o.plan == "waiting_stock"), key=lambda o: o.id)
        for o in waiting:
            main = max(o.lines, key=lambda ln: (ln.amount, ln.sku.code))
            if main.sku.code not in short:
                short.append(main.sku.code)
        others = sorted(
            {line.sku.code for o in open_orders for line in o.lines if line.sku.kind != "f"}
            - set(short)
        )
        rng.shuffle(others)
        short += others[: max(0, 10 - len(short))]
        self.short_skus = sorted(short[:11])
        for sku in self.skus:
            need = demand.get(sku.code, 0)
            unit_cost = int(sku.price * rng.uniform(0.55, 0.74))
            rows = []
            for wh in sku.warehouses:
                wneed = demand_wh.get((sku.code, wh), 0)
                _lo, hi, step = sku.qty_range()
                if sku.code in self.short_skus:
                    # less available than the open orders need: a few units, or none
                    avail = max(0, wneed - max(1, int(wneed * rng.uniform(0.3, 0.9))))
                    if wh != sku.warehouses[0] and wneed == 0:
                        avail = 0
                    reserved = rng.choice([0, 0, step, 2 * step]) if avail else 0
                    on_hand = avail + reserved
                else:
                    base = max(hi * rng.uniform(0.4, 2.5), wneed * rng.uniform(1.3, 3.0))
                    if wh != sku.warehouses[0]:
                        base *= 0.4
                    on_hand = max(step, int(base) // step * step)
                    reserved = int(on_hand * rng.choice([0, 0, 0.05, 0.1, 0.2])) // step * step
                rows.append((sku, wh, on_hand, reserved, unit_cost))
            # never a false shortage: available over all warehouses covers the open orders
            if sku.code not in self.short_skus:
                avail = sum(r[2] - r[3] for r in rows)
                if avail < need:
                    s, wh, oh, rs, uc = rows[0]
                    rows[0] = (s, wh, oh + need - avail + step, rs, uc)
            self.inventory.extend(rows)

    # -- feedback ----------------------------------------------------------------------
    def make_feedback(self) -> None:
        rng = self.rng
        out = []
        delivered = [o for o in self.orders if o.delivered_at is not None]
        for o in self.orders:
            english = o.customer.name.isascii()
            if o.exception in ("拒收", "退回"):
                when = o.shipments[0].shipped_at.date() + timedelta(days=rng.randint(2, 4))
                cat = "包装破损" if o.exception == "拒收" else "错发漏发"
                out.append((o, when, True, cat, rng.randint(0, 3), self._comment(o, cat, english)))
            elif o.exception == "派送异常" and o.promised < NOW.date():
                out.append(
                    (
                        o,
                        NOW.date() - timedelta(days=rng.randint(0, 2)),
                        True,
                        "延迟交付",
                        rng.randint(1, 4),
                        self._comment(o, "催货", english),
                    )
                )
        for o in delivered:
            english = o.customer.name.isascii()
            d = o.delivered_on
            if o.late and rng.random() < 0.6:
                when = d + timedelta(days=rng.randint(0, 3))
                out.append(
                    (
                        o,
                        when,
                        True,
                        "延迟交付",
                        rng.randint(0, 5),
                        self._comment(o, "延迟交付", english),
                    )
                )
            elif rng.random() < 0.045:
                cat = rng.choice(["错发漏发", "包装破损"])
                out.append(
                    (
                        o,
                        d + timedelta(days=rng.randint(0, 2)),
                        True,
                        cat,
                        rng.randint(2, 6),
                        self._comment(o, cat, english),
                    )
                )
        complaints = {o.id for o, *_ in out}
        survey = [
            o for o in delivered if o.id not in complaints and o.delivered_on <= date(2026, 6, 25)
        ]
        for o in rng.sample(survey, max(0, 120 - len(out))):
            english = o.customer.name.isascii()
            d = o.delivered_on
            when = min(d + timedelta(days=rng.randint(3, 14)), NOW.date())
            if o.late:
                score = rng.randint(4, 7)
                kind = "一般"
            else:
                score = rng.choices(range(11), [1, 0, 1, 1, 2, 4, 6, 12, 24, 26, 23])[0]
                kind = "好评" if score >= 8 else "一般"
            out.append((o, when, False, "", score, self._comment(o, kind, english)))
        out.sort(key=lambda x: (x[1], x[0].id))
        seq: Counter[str] = Counter()
        for o, when, complaint, cat, score, text in out:
            ym = when.strftime("%y%m")
            seq[ym] += 1
            self.feedback.append(
                (f"FK-{ym}-{seq[ym]:04d}", o.id, when, complaint, cat, score, text)
            )

    def _comment(self, o: Order, kind: str, english: bool) -> str:
        rng = self.rng
        item = max(o.lines, key=lambda ln: (ln.amount, ln.sku.code)).sku.name
        days = 0
        if o.delivered_at is not None:
            days = (o.delivered_at.date() - o.promised).days
        if english:
            texts = {
                "延迟交付": [
                    f"Goods arrived {days} days after the promised date; our line waited.",
                    "Delivery was late again, and nobody told us in advance.",
                ],
                "催货": ["Where is our shipment? Tracking has not moved for days."],
                "错发漏发": [f"Short shipment: one carton of {item} missing."],
                "包装破损": ["Carton crushed, parts scratched. Refused at the gate."],
                "好评": [
                    "On time, well packed. Thanks!",
                    "Good service, fast delivery.",
                    "Quality is stable, will reorder.",
                ],
                "一般": [
                    "OK overall, but tracking updates were slow.",
                    "Acceptable. The invoice came late.",
                ],
            }
        else:
            texts = {
                "延迟交付": [
                    f"承诺{o.promised.month}月{o.promised.day}日到货,实际晚了{days}天,影响我们产线排产。",
                    "交期一再推迟,跟单员没有提前通知,希望改进。",
                    f"{item}晚到{days}天,现场安装队伍白等,请给个说法。",
                    "催了三次才发货,交付太慢。",
                ],
                "催货": [
                    "已经过了交期,物流显示派送异常好几天了,到底什么时候能到?",
                    "物流信息一直不更新,请尽快核实。",
                ],
                "错发漏发": [
                    f"少发了{item},请尽快补发。",
                    "收到的型号与订单不符,要求换货。",
                ],
                "包装破损": [
                    f"外包装破损,{item}有磕碰,拒收。",
                    "木箱运输途中损坏,设备表面有划痕,要求更换。",
                ],
                "好评": [
                    "交货及时,包装很好。",
                    "跟单员沟通及时,满意。",
                    "产品质量稳定,会继续合作。",
                    "发货快,安装指导到位。",
                    "价格略高,但交期准,服务好。",
                    "",
                ],
                "一般": [
                    "还可以,物流信息更新不及时。",
                    "交期基本准时,发票开得有点晚。",
                    "价格偏高, 希望年底能有返点。",
                    "",
                ],
            }
        return rng.choice(texts[kind])


# ---------------------------------------------------------------------------------------
# writers


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    encoding: str = "utf-8",
    newline: str = "\n",
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))  # strict: fails on unencodable text


def save_workbook(wb: Any, path: Path) -> None:
    """Save with fixed document properties and zip timestamps, so the bytes are stable."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = COMPANY
    wb.properties.lastModifiedBy = COMPANY
    wb.properties.created = FIXED_STAMP
    wb.properties.modified = FIXED_STAMP
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not openpyxl.save_workbook: it stamps "now"
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    path.write_bytes(out.getvalue())


def style_header(ws: Any, row: int, ncols: int) -> None:
    from openpyxl.styles import Font, PatternFill

    for col in range(1, ncols + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")


def write_orders_xlsx(world: World, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    header = [
        "单据编号",
        "日期",
        "客户编码",
        "客户名称",
        "销售员",
        "跟单员",
        "销售区域",
        "要货日期",
        "计划发货日期",
        "价税合计",
        "结算币别",
        "备注",
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = "销售订单"
    ws.append(["销售订单列表 2026年第二季度"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(header)
    style_header(ws, 2, len(header))
    total = 0
    for o in world.orders:
        total += o.amount
        ws.append(
            [
                o.id,
                o.order_date,
                o.customer.code,
                o.customer.name,
                o.rep,
                o.follow_up,
                o.customer.region,
                o.promised,
                o.planned_ship,
                o.amount / 100,
                "CNY",
                o.note or None,
            ]
        )
    ws.append(["合计", None, None, None, None, None, None, None, None, total / 100, None, None])
    last = ws.max_row
    ws.cell(row=last, column=1).font = Font(bold=True)
    ws.cell(row=last, column=10).font = Font(bold=True)
    for row in ws.iter_rows(min_row=3, max_row=last):
        for col in (1, 7, 8):
            row[col].number_format = "yyyy-mm-dd"
        row[9].number_format = "#,##0.00"
    widths = [14, 11, 9, 36, 11, 9, 9, 11, 13, 14, 9, 22]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A3"
    save_workbook(wb, path)


def write_inventory_xlsx(world: World, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "即时库存"
    header = ["物料编码", "物料名称", "仓库", "现存量", "预留量", "单位成本"]
    ws.append(header)
    style_header(ws, 1, len(header))
    for sku, wh, on_hand, reserved, cost in sorted(
        world.inventory, key=lambda r: (r[0].code, r[1])
    ):
        ws.append([sku.code, sku.name, wh, on_hand, reserved, cost / 100])
    for row in ws.iter_rows(min_row=2):
        row[5].number_format = "#,##0.00"
    for col, w in zip("ABCDEF", [13, 36, 9, 9, 9, 11], strict=True):
        ws.column_dimensions[col].width = w
    save_workbook(wb, path)


def write_invoices_xlsx(world: World, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "开票记录"
    header = ["发票号码", "订单编号", "开票日期", "价税合计", "税额"]
    ws.append(header)
    style_header(ws, 1, len(header))
    rows = sorted(
        (inv for o in world.orders for inv in ((i, o.id, d, a) for i, d, a in o.invoices)),
        key=lambda r: r[0],
    )
    for inv_id, oid, d, amount in rows:
        ws.append([inv_id, oid, d, amount / 100, vat_of(amount) / 100])
    for row in ws.iter_rows(min_row=2):
        row[0].number_format = "@"
        row[2].number_format = "yyyy-mm-dd"
        row[3].number_format = "#,##0.00"
        row[4].number_format = "#,##0.00"
    for col, w in zip("ABCDE", [24, 14, 11, 14, 12], strict=True):
        ws.column_dimensions[col].width = w
    save_workbook(wb, path)


def write_customers_xlsx(world: World, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户档案"
    header = ["客户编码", "客户名称", "客户分类", "地区", "信用额度", "联系人", "邮箱"]
    ws.append(header)
    style_header(ws, 1, len(header))
    for c in world.customers:
        ws.append([c.code, c.name, c.segment, c.region, c.credit / 100, c.contact, c.email])
    for row in ws.iter_rows(min_row=2):
        row[4].number_format = "#,##0"
    for col, w in zip("ABCDEFG", [9, 38, 10, 6, 13, 12, 34], strict=True):
        ws.column_dimensions[col].width = w
    save_workbook(wb, path)


def write_files(world: World, out: Path) -> dict[str, int]:
    rng = random.Random(SEED + 1)  # formatting choices only
    counts: dict[str, int] = {}

    write_orders_xlsx(world, out / "销售订单_2026Q2.xlsx")
    counts["销售订单_2026Q2.xlsx"] = len(world.orders)

    rows = []
    for o in world.orders:
        for line in o.lines:
            sep = line.amount >= 10_000_00 and rng.random() < 0.12
            rows.append(
                [
                    o.id,
                    str(line.no),
                    line.sku.code,
                    line.sku.name,
                    line.sku.unit,
                    str(line.qty),
                    yuan(line.price),
                    yuan(line.amount, sep),
                    line.warehouse,
                ]
            )
    write_csv(
        out / "订单明细_2026Q2.csv",
        [
            "单据编号",
            "序号",
            "物料编码",
            "物料名称",
            "单位",
            "数量",
            "含税单价",
            "金额",
            "发货仓库",
        ],
        rows,
        encoding="gbk",
        newline="\r\n",
    )
    counts["订单明细_2026Q2.csv"] = len(rows)

    write_inventory_xlsx(world, out / "即时库存_20260630.xlsx")
    counts["即时库存_20260630.xlsx"] = len(world.inventory)

    ships = sorted(((s, o) for o in world.orders for s in o.shipments), key=lambda x: x[0].id)
    rows = []
    for s, o in ships:
        freight = yuan(s.freight, sep=True) if rng.random() < 0.3 else yuan(s.freight)
        if rng.random() < 0.3:
            freight = "¥" + freight
        rows.append(
            [
                s.id,
                o.id,
                s.carrier,
                s.tracking,
                s.status,
                ts(s.shipped_at, False),
                ts(s.delivered_at, False),
                freight,
                "是" if s.expedited else "否",
            ]
        )
    write_csv(
        out / "物流跟踪_20260630.csv",
        [
            "发货单号",
            "订单编号",
            "快递公司",
            "运单号",
            "物流状态",
            "发货时间",
            "签收时间",
            "运费",
            "是否加急",
        ],
        rows,
        encoding="utf-8-sig",
        newline="\r\n",
    )
    counts["物流跟踪_20260630.csv"] = len(rows)

    write_invoices_xlsx(world, out / "开票记录.xlsx")
    counts["开票记录.xlsx"] = sum(len(o.invoices) for o in world.orders)

    pays = sorted(((p, o) for o in world.orders for p in o.payments), key=lambda x: x[0][0])
    rows = [
        [pid, o.id, f"{d.year}/{d.month}/{d.day}", yuan(amount), method]
        for (pid, d, amount, method), o in pays
    ]
    write_csv(
        out / "收款记录.csv", ["收款单号", "订单编号", "收款日期", "收款金额", "结算方式"], rows
    )
    counts["收款记录.csv"] = len(rows)

    rows = [
        [fid, oid, when.isoformat(), "是" if complaint else "否", cat, str(score), text]
        for fid, oid, when, complaint, cat, score, text in world.feedback
    ]
    write_csv(
        out / "客户反馈.csv",
        ["反馈编号", "订单编号", "反馈日期", "是否投诉", "投诉类别", "推荐评分", "客户意见"],
        rows,
    )
    counts["客户反馈.csv"] = len(rows)

    write_customers_xlsx(world, out / "客户档案.xlsx")
    counts["客户档案.xlsx"] = len(world.customers)

    events = sorted(
        ((at, o.id, stage, actor) for o in world.orders for stage, at, actor in o.events),
        key=lambda e: (e[0], e[1]),
    )
    rows = [[oid, STAGE_ZH[stage], ts(at), actor] for at, oid, stage, actor in events]
    write_csv(out / "流程记录.csv", ["订单编号", "环节", "进入时间", "操作人"], rows)
    counts["流程记录.csv"] = len(rows)
    return counts


# ---------------------------------------------------------------------------------------
# ordertrack.toml


def people_list(role: str) -> str:
    items = []
    for name, login, r, title in PEOPLE:
        if r == role:
            items.append(f'    "{login}", "{login}@example.com",  # {name} {title}')
    return "[\n" + "\n".join(items) + "\n]"


def rules_block() -> str:
    """The seed rules exactly as `ordertrack init --lang zh` writes them."""
    template = (ROOT / "ordertrack" / "templates" / "ordertrack.zh.toml").read_text(encoding="utf-8")
    start = template.index("# 规则(如果")
    end = template.index("# 数据源配置")
    return template[start:end].rstrip() + "\n"


def people_block() -> str:
    """[people]: each person's login, display name, e-mail, and the name the exports use."""
    out = ["# 人员:登录名为键;订单中的业务员、跟单员写的是中文名(aliases),预警按此找到人。"]
    for name, login, _role, _title in PEOPLE:
        out.append(f'[people."{login}"]\nname = "{name}"\nemail = "{login}@example.com"\naliases = ["{name}"]')
    return "\n".join(out) + "\n"


def make_toml() -> str:
    stages_zh = "\n".join(f'"{zh}" = "{sid}"' for sid, zh in STAGES)
    return f'''# ordertrack.toml:演示数据(sample_data)的配置文件,{COMPANY}。
# 每个配置项的说明见 docs/configuration.md。修改后用下面的命令检查:
#     ordertrack config check
# 本文件由 tools/make_sample_data.py 生成,请改脚本而不是改本文件。

[workspace]
name = "{COMPANY}"  # 报表上显示的名称
database = "ordertrack.duckdb" # DuckDB 数据库文件,相对于本文件夹
timezone = "Asia/Shanghai"     # 导入文件中不带时区的时间按此时区理解
clock = "2026-06-30T17:00"     # 演示用:把“现在”固定在数据的最后一天(真实使用时删除此行)
lang = "zh"                    # 报表语言:"zh" 或 "en"

# 角色与人员:登录名(ORDERTRACK_USER 或系统登录名)和电子邮件地址,每人各写一次。
# 内置角色:sales 销售, business 商务, finance 财务, director 总监, warehouse 仓库,
# logistics 物流, purchasing 采购, ceo 总经理, admin 管理员;production(生产总监)是自定义角色。
[roles]
admin = {people_list("admin")}
sales = {people_list("sales")}
business = {people_list("business")}
finance = {people_list("finance")}
director = {people_list("director")}
warehouse = {people_list("warehouse")}
logistics = {people_list("logistics")}
purchasing = {people_list("purchasing")}
ceo = {people_list("ceo")}
production = {people_list("production")}
sales_director = ["majun"]     # 马骏 销售总监:预警的升级对象

# 流程:每个订单按顺序经过以下环节。
#   owner  负责该环节、可以把订单推进到下一环节的角色
#   sla    在该环节的处理时限("2h" 两小时,"3d" 三天)
#   when      适用条件(对订单数据的 SQL 条件);不满足条件的订单跳过该环节
#   requires  进入该环节的前提条件(守卫),每条带不满足时显示的提示
#   on_enter  进入时自动产生的内容:表单(pick_list 出库单)、给某角色的待办、状态
#   auto      满足该条件的订单自动进入下一环节(via = auto)
[[flow.stages]]
id = "order_entry"
name = "订单录入"
owner = "sales"
sla = "4h"

[[flow.stages]]
id = "business_review"
name = "商务审核"
owner = "business"
sla = "2h"

[[flow.stages]]
id = "finance_approval"
name = "财务审批"
owner = "finance"
sla = "1d"
auto = "credit_limit IS NOT NULL AND customer_open_amount <= credit_limit"   # 未结订单在信用额度内:自动通过

[[flow.stages]]
id = "director_approval"
name = "总监审批"
owner = "director"
sla = "2d"
when = "amount > 100000"       # 金额大于 10 万的订单需要总监审批

[[flow.stages]]
id = "picking"
name = "仓库配货"
owner = "warehouse"
cc = ["purchasing"]            # 缺货时采购需要知道
sla = "3d"
requires = [{{ when = "NOT is_short", message = "有物料缺货(缺货待产),请先补货;见 ordertrack orders show 订单号" }}]
on_enter = [
    {{ form = "pick_list" }},                                        # 出库单,写入 out/picklists/
    {{ task = {{ role = "warehouse", title = "拣货出库 {{order_id}}({{customer}})", due = "1d" }} }},
]

[[flow.stages]]
id = "shipped"
name = "物流发货"
owner = "logistics"
sla = "5d"
requires = [{{ when = "shipment_count > 0", message = "还没有发货记录:请先导入仓库/物流的发货导出" }}]

[[flow.stages]]
id = "signed"
name = "客户签收"
owner = "sales"
sla = "3d"

[[flow.stages]]
id = "invoiced"
name = "开票"
owner = "finance"
sla = "30d"

[[flow.stages]]
id = "paid"
name = "回款"
owner = "finance"

# 工作日历:处理时限按工作时间计算(周一至周五 9:00-12:00、13:00-18:00,
# 法定节假日和调休按 chinesecalendar),整天("3d")按工作日计。
[calendar]
country = "CN"
hours = ["09:00-12:00", "13:00-18:00"]

{rules_block()}
{people_block()}
# 导入的文件显示订单已有进展时,自动把订单移到对应环节。
[flow.on_import]
shipped = "shipped"      # 已出库发货
delivered = "signed"     # 客户已签收
invoiced = "invoiced"    # 已开票
paid = "paid"            # 已全额回款

# 数据源配置(profile):每个导出文件对应一个内置预设(preset),文件名写全名。
# 用 `ordertrack import sample_data/*.xlsx sample_data/*.csv` 一次导入全部。

[profiles.sales_orders]
description = "金蝶销售订单列表(订单表头):第 1 行是合并的标题行,最后一行是“合计”"
preset = "orders"
files = ["销售订单_2026Q2.xlsx"]
# header_row = 2               # 表头所在行;默认自动查找

[profiles.order_lines]
description = "销售订单明细,GBK 编码的 CSV(金蝶导出)"
preset = "order_lines"
files = ["订单明细_2026Q2.csv"]
# encoding = "gb18030"         # 默认自动识别(UTF-8,否则 GB18030)

[profiles.inventory]
description = "即时库存:每个物料、每个仓库一行"
preset = "inventory"
files = ["即时库存_20260630.xlsx"]

[profiles.shipments]
description = "物流跟踪(快递公司对账导出),UTF-8 带 BOM"
preset = "wms_shipments"
files = ["物流跟踪_20260630.csv"]

[profiles.invoices]
description = "开票记录(财务,数电发票)"
preset = "invoices"
files = ["开票记录.xlsx"]

[profiles.payments]
description = "收款记录(财务,出纳)"
preset = "payments"
files = ["收款记录.csv"]

[profiles.feedback]
description = "客户反馈:投诉与 NPS 回访"
preset = "feedback"
files = ["客户反馈.csv"]

[profiles.customers]
description = "客户档案:客户分类与信用额度"
preset = "customers"
files = ["客户档案.xlsx"]

[profiles.stage_history]
description = "审批与流程记录(OA 导出):每进入一个环节一行"
preset = "stage_history"
files = ["流程记录.csv"]

[profiles.stage_history.values.to_stage]
{stages_zh}
'''


# ---------------------------------------------------------------------------------------
# broken/: one small file per common mistake


def make_broken(world: World, out: Path) -> list[tuple[str, str, str]]:
    """Write the files; return (file, the mistake, what the importer should say)."""
    rng = random.Random(SEED + 2)
    out.mkdir(parents=True, exist_ok=True)
    o_hdr = ["订单编号", "客户名称", "下单日期", "承诺交期", "订单金额"]
    l_hdr = ["订单编号", "行号", "物料编码", "物料名称", "数量", "单价", "金额"]
    sample = world.orders[40:45]

    def o_row(o: Order) -> list[str]:
        return [
            o.id,
            o.customer.name,
            o.order_date.isoformat(),
            o.promised.isoformat(),
            yuan(o.amount),
        ]

    def text(rows: list[list[str]], header: list[str] | None) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        if header:
            w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()

    files: list[tuple[str, str, str]] = []

    (out / "empty.csv").write_bytes(b"")
    files.append(
        (
            "empty.csv",
            "0 字节的空文件(导出中断或选错了文件)。 An empty file (0 bytes).",
            "文件为空,没有表头也没有数据;不导入任何内容,不报 Python 错误。"
            " `empty.csv: the file is empty (0 bytes)`; nothing imported.",
        )
    )

    (out / "header_only.csv").write_text(text([], o_hdr), encoding="utf-8")
    files.append(
        (
            "header_only.csv",
            "只有表头,没有数据行。 Header row only, no data.",
            "识别出预设 orders 的表头,0 行数据;导入成功但提示“0 行”。"
            " Recognised as `orders`, 0 rows: a warning, not an error.",
        )
    )

    rows = [o_row(o) for o in sample]
    (out / "gbk_declared_utf8.csv").write_bytes(text(rows, o_hdr).encode("gbk"))
    files.append(
        (
            "gbk_declared_utf8.csv",
            'GBK 编码的文件,却声明为 UTF-8(profile 写了 `encoding = "utf-8"`)。行是演示数据中 '
            f"{sample[0].id}…{sample[-1].id} 的原值。 GBK bytes in a profile that says "
            "UTF-8; the rows are demo orders with their demo values.",
            "指出字节位置和行号:不是 UTF-8;看起来是 GBK/GB18030,建议改为 "
            '`encoding = "gb18030"` 或去掉 encoding 让程序自动识别。不能把乱码写进数据库。'
            "不声明编码时应自动识别为 GBK,在演示库中结果为“未变化”。"
            " `not valid UTF-8 at byte N (row 2); looks like GB18030: set encoding = "
            '"gb18030"`.',
        )
    )

    head = text([], o_hdr).encode("utf-8")
    body = b""
    for i, o in enumerate(sample):
        line = text([o_row(o)], None)
        body += line.encode("gbk" if i % 2 else "utf-8")
    (out / "mixed_encoding.csv").write_bytes(head + body)
    files.append(
        (
            "mixed_encoding.csv",
            "同一文件中有的行是 UTF-8、有的行是 GBK(几份导出拼接而成);行是演示订单的原值。"
            " Some rows UTF-8, some GBK (files concatenated); demo orders, demo values.",
            "按行报告:第 3、5 行不是 UTF-8(GBK 字节);要么整文件拒绝,要么拒绝这些行并说明原因,"
            "绝不能产生乱码。 Rows 3 and 5 are not UTF-8: reject them (or the file) and say "
            "the file mixes encodings.",
        )
    )

    bad = ["2026/13/45", "next week", "2026-02-30", "45.45.2026", "", "下周一"]
    rows = []
    for i, o in enumerate(world.orders[60:66]):
        r = o_row(o)
        r[0] = f"SO-2699-{i + 1:04d}"
        r[2] = bad[i]
        rows.append(r)
    rows.append(["SO-2699-0007", "常州天宇电气有限公司", "2026-06-03", "2026/6/20", "8800.00"])
    (out / "bad_dates.csv").write_text(text(rows, o_hdr), encoding="utf-8")
    files.append(
        (
            "bad_dates.csv",
            "无法识别的日期:2026/13/45、next week、2026-02-30、45.45.2026、下周一。"
            " Unparseable dates.",
            '逐行拒绝并指明文件、行、列、值和原因:`row 2, 下单日期: "2026/13/45" is not a date`;'
            "空白日期不是错误(字段留空);最后一行正常导入。"
            " Each bad row rejected with file/row/column/value; the blank date is "
            "allowed (left empty); the last row imports.",
        )
    )

    amounts = ["¥1,234.50", "12.5%", "1 234,50", "RMB 5,000", "1,234.50元", "(1,200.00)", "3500"]
    rows = []
    for i, a in enumerate(amounts):
        rows.append(
            [
                f"SO-2699-{101 + i:04d}",
                "A&B Industrial Co., Ltd.",
                "2026-06-1" + str(i),
                "2026-07-0" + str(i + 1),
                a,
            ]
        )
    (out / "amounts_with_symbols.csv").write_text(text(rows, o_hdr), encoding="utf-8")
    files.append(
        (
            "amounts_with_symbols.csv",
            "金额带货币符号、千分位、百分号、欧式小数逗号、会计负数括号。"
            " Amounts with ¥, thousands separators, %, a decimal comma, parentheses.",
            "¥1,234.50、RMB 5,000、1,234.50元、3500 读作金额;12.5% 拒绝(百分比不是金额);"
            '"1 234,50" 按默认小数点“.”无法解析,提示设置 `decimal = ","`;'
            "(1,200.00) 读作 -1200.00 或以“负数”为由拒绝,但要说清楚。"
            " Currency symbols and separators are stripped; 12.5% is refused; '1 234,50' "
            'is refused with the hint `decimal = ","`.',
        )
    )

    rows = [
        ["SO-2699-0201", "宁波甬港模具有限公司", "2026-06-02", "2026-06-20", "12000.00"],
        ["SO-2699-0202", "温州瓯江阀门有限公司", "2026-06-02", "2026-06-22", "8600.00"],
        ["SO-2699-0201", "宁波甬港模具有限公司", "2026-06-02", "2026-06-25", "12800.00"],
        ["SO-2699-0203", "湖州南浔电机有限公司", "2026-06-03", "2026-06-28", "5400.00"],
        ["SO-2699-0202", "温州瓯江阀门有限公司", "2026-06-02", "2026-06-22", "8600.00"],
    ]
    (out / "duplicate_keys.csv").write_text(text(rows, o_hdr), encoding="utf-8")
    files.append(
        (
            "duplicate_keys.csv",
            "同一订单编号出现两次:SO-2699-0201 两行的承诺交期和金额不同;SO-2699-0202 两行完全相同。"
            " The same order id twice: once with different values, once identical.",
            "SO-2699-0201:两行冲突,说出两个行号(第 2 和第 4 行)和不同的列,不能悄悄保留其中一行;"
            "SO-2699-0202:完全相同的重复行可合并(提示一次)。"
            " Conflicting duplicates are rejected naming both rows; identical ones may be "
            "merged with a notice.",
        )
    )

    rows = [
        ["SO-2699-0301", "1", "01.01.0001", "变频器 ACS580-01-12A", "2", "6850.00", "13700.00"],
        ["SO-2699-0301", "2", "07.01.0001", "M8×30 内六角螺栓 12.9级", "20", "46.00", "920.00"],
        ["SO-2699-0302", "1", "02.01.0001", "伺服电机 MS1H1-40B30CB", "4", "1350.00", "5400.00"],
    ]
    (out / "unknown_orders_lines.csv").write_text(text(rows, l_hdr), encoding="utf-8")
    files.append(
        (
            "unknown_orders_lines.csv",
            "订单明细引用的订单(SO-2699-0301、SO-2699-0302)不存在。"
            " Lines for orders that do not exist.",
            '每行拒绝:`订单编号 "SO-2699-0301" not found in orders; import the orders first`。'
            " Rejected: the parent order does not exist.",
        )
    )

    o = world.orders[10]
    ok = o.lines[0]
    rows = [
        [o.id, str(ok.no), ok.sku.code, ok.sku.name, str(ok.qty), yuan(ok.price), yuan(ok.amount)],
        [
            o.id,
            str(len(o.lines) + 1),
            "07.01.0002",
            "M6×20 内六角螺栓 12.9级",
            "-5",
            "24.00",
            "-120.00",
        ],
        [
            o.id,
            str(len(o.lines) + 2),
            "06.01.0001",
            "中间继电器 RXM2LB2BD",
            "-1",
            "28.50",
            "-28.50",
        ],
    ]
    (out / "negative_qty.csv").write_text(text(rows, l_hdr), encoding="utf-8")
    files.append(
        (
            "negative_qty.csv",
            f"数量为负(退货被当成订单行导出)。第一行与演示数据中 {o.id} 第 1 行相同。"
            " Negative quantities (returns exported as order lines).",
            "负数行拒绝:`数量: -5 is negative`;第一行在演示库中应为“未变化”。"
            " Negative rows rejected; the first row is unchanged in the demo workspace.",
        )
    )

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(o_hdr)
    ws.append(
        ["SO-2699-0401", "常州天宇电气有限公司", date(2026, 6, 1), date(2026, 6, 20), 15600.0]
    )
    ws.append(["SO-2699-0402", "#N/A", date(2026, 6, 2), date(2026, 6, 21), "#REF!"])
    ws.append(["SO-2699-0403", "扬州宏图液压件有限公司", "#VALUE!", date(2026, 6, 25), "#DIV/0!"])
    ws.append(["#N/A", "绍兴越达纺织机械有限公司", date(2026, 6, 3), date(2026, 6, 26), 7300.0])
    for row in ws.iter_rows(min_row=2):
        for cell in row[2:4]:
            if not isinstance(cell.value, str):
                cell.number_format = "yyyy-mm-dd"
    save_workbook(wb, out / "excel_errors.xlsx")
    files.append(
        (
            "excel_errors.xlsx",
            "单元格是 Excel 错误值(#N/A、#REF!、#VALUE!、#DIV/0!),通常来自断掉的 VLOOKUP 公式。"
            " Cells holding Excel errors (#N/A, #REF!, …) from broken formulas.",
            "把错误值当作错误而不是文本:`row 3, 订单金额: Excel error #REF!`;"
            "订单编号为 #N/A 的行拒绝;"
            '不能把 "#N/A" 存成客户名称。 Error cells are reported as such, never stored '
            "as text.",
        )
    )

    (out / "corrupt.xlsx").write_bytes(bytes(rng.randrange(256) for _ in range(2048)))
    files.append(
        (
            "corrupt.xlsx",
            "扩展名是 .xlsx,内容却是随机字节(下载不完整或被改名)。"
            " Random bytes with an .xlsx name.",
            "`corrupt.xlsx: not a valid Excel file (not a zip archive)`,提示重新导出;"
            "不输出 Python 回溯。 A clear error, no traceback.",
        )
    )

    rows = [
        [
            str(1000 + i),
            str(rng.randint(1, 50)),
            f"{rng.randint(100, 99999)}.00",
            str(rng.randint(1, 12)),
        ]
        for i in range(5)
    ]
    (out / "no_header.csv").write_text(text(rows, None), encoding="utf-8")
    files.append(
        (
            "no_header.csv",
            "没有表头,只有数字。 Rows of numbers, no header.",
            "找不到表头:没有任何一列能对应到已知字段;列出期望的表头(如 订单编号)并建议 "
            "`ordertrack profile suggest`。 No header found: list the expected headers.",
        )
    )

    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover.append(["华东精工 订单导出"])
    cover.append(["导出人:赵敏"])
    cover.append(["数据在“订单”工作表"])
    data = wb.create_sheet("订单")
    data.append(o_hdr)
    for o in sample[:3]:
        data.append(
            [f"SO-2699-05{o.id[-2:]}", o.customer.name, o.order_date, o.promised, o.amount / 100]
        )
    for row in data.iter_rows(min_row=2):
        for cell in row[2:4]:
            cell.number_format = "yyyy-mm-dd"
    save_workbook(wb, out / "wrong_sheet.xlsx")
    files.append(
        (
            "wrong_sheet.xlsx",
            "数据不在第一个工作表,也不叫 Sheet1:第一个表是“封面”,数据在“订单”表。"
            " The data is on a sheet named 订单, not on the first sheet or 'Sheet1'.",
            '在第一个表中找不到表头时,说出有哪些工作表并建议 `sheet = "订单"`;'
            'profile 写了 `sheet = "Sheet1"` 时:`no sheet "Sheet1"; sheets: 封面, 订单`。'
            ' Name the sheets that exist and suggest `sheet = "订单"`.',
        )
    )

    big = ("备注内容" + "0123456789ABCDEF" * 4) * (120_000 // 68) + "END"
    big = big[:119_997] + "END"
    rows = [
        ["SO-2699-0601", "常州天宇电气有限公司", "2026-06-05", "2026-06-30", "9900.00", big],
        ["SO-2699-0602", "湖州南浔电机有限公司", "2026-06-05", "2026-06-28", "4300.00", "正常"],
    ]
    (out / "huge_cell.csv").write_text(text(rows, [*o_hdr, "备注"]), encoding="utf-8")
    files.append(
        (
            "huge_cell.csv",
            f"一个单元格有 {len(big):,} 个字符(备注栏里粘贴了整份文档)。"
            " One cell of 120,000 characters.",
            "不能崩溃(Python csv 默认字段上限 131072);要么完整保留到 attrs,要么拒绝该行并说明"
            "“单元格过长(120000 字符)”。 No crash; keep it or reject the row naming the "
            "cell and its length.",
        )
    )

    rows = [
        ["SO-2699-0701", '=HYPERLINK("http://x","click")', "2026-06-08", "2026-06-28", "5000.00"],
        ["SO-2699-0702", "+1+2", "2026-06-08", "2026-06-28", "6000.00"],
        ["SO-2699-0703", "@SUM(A1)", "2026-06-08", "2026-06-28", "7000.00"],
        ["SO-2699-0704", "-2+3", "2026-06-08", "2026-06-28", "8000.00"],
        ["SO-2699-0705", "=cmd|' /C calc'!A0", "2026-06-08", "2026-06-28", "9000.00"],
    ]
    (out / "formula_injection.csv").write_text(text(rows, o_hdr), encoding="utf-8")
    files.append(
        (
            "formula_injection.csv",
            "客户名称以 = + - @ 开头(CSV 公式注入)。 Customer names that are spreadsheet "
            "formulas (CSV injection).",
            "按原文作为文本导入(不计算);以后导出到 Excel/CSV 或写进报表时必须转义(前面加 '),"
            "HTML 中按文本显示。 Import as text; escape when exporting to Excel/CSV.",
        )
    )

    fb_hdr = ["反馈编号", "订单编号", "反馈日期", "是否投诉", "投诉类别", "推荐评分", "客户意见"]
    o = world.orders[20]
    rows = [
        [
            "FK-2699-0001",
            o.id,
            "2026-06-30",
            "是",
            "错发漏发",
            "3",
            "第一批到货正常。\n第二批少了两件,已联系补发。",
        ],
        ["FK-2699-0002", o.id, "2026-06-30", "否", "", "8", 'He said "fine", then\r\nleft.'],
    ]
    (out / "multiline_cell.csv").write_text(text(rows, fb_hdr), encoding="utf-8")
    files.append(
        (
            "multiline_cell.csv",
            "不是错误:合法的 CSV,意见栏里有换行(用引号括起来,CRM 导出常见),还有转义的双引号。"
            "预设 `feedback`。 Not a mistake: valid CSV whose quoted comment cells contain line "
            "breaks and escaped quotes (CRM exports do this); preset `feedback`.",
            "两行都应导入,换行原样保留;不能报“引号未闭合”。 Both rows import, line breaks kept; "
            "never 'a quoted cell is not closed'.",
        )
    )

    picks = world.orders[100:104]
    fw = str.maketrans("0123456789-SO", "０１２３４５６７８９－ＳＯ")
    rows = []
    for i, o in enumerate(picks):
        oid = o.id.translate(fw)
        if i == 1:
            oid = "　" + oid  # leading ideographic space
        if i == 2:
            oid = o.id + "　"  # trailing ideographic space
        if i == 3:
            oid = o.id.replace("-", "－", 1)
        rows.append(
            [oid, o.customer.name, o.order_date.isoformat(), o.promised.isoformat(), yuan(o.amount)]
        )
    (out / "fullwidth_ids.csv").write_text(text(rows, o_hdr), encoding="utf-8")
    files.append(
        (
            "fullwidth_ids.csv",
            "订单编号用了全角字符(ＳＯ－２６０４－…)或带全角空格,其它值与演示数据完全相同。"
            " Order ids typed with full-width letters/digits and full-width spaces.",
            "规范化(NFKC、去掉首尾空白)后与演示数据中的 "
            f"{', '.join(o.id for o in picks)} 相同:在演示库中为“未变化”,不能产生新订单;"
            "或者明确提示“订单编号含全角字符”。 After NFKC and trimming they equal existing "
            "ids: unchanged, never new orders.",
        )
    )
    return files


def broken_readme(files: list[tuple[str, str, str]]) -> str:
    parts = [
        "# sample_data/broken/ — 常见错误的样本文件 / one file per common mistake",
        "",
        "每个文件只演示一种错误,几行而已,用来测试导入器的报错。表头符合预设 "
        "`orders`(订单编号, 客户名称, 下单日期, 承诺交期, 订单金额)或 `order_lines`"
        "(unknown_orders_lines.csv、negative_qty.csv:订单编号, 行号, 物料编码, 物料名称, 数量, "
        "单价, 金额),导入时用 `--profile orders` 或 `--profile order_lines`。"
        "订单编号 SO-2699-xxxx 在演示数据中不存在;其余文件引用的演示订单,其值与演示数据完全相同。"
        "所以把这些文件导入演示库不会改坏演示数据:正确的导入结果是“拒绝”或“未变化”。",
        "",
        "Each file shows one mistake in a few rows, for testing the importer's messages. "
        "Headers follow the `orders` preset (or `order_lines` for unknown_orders_lines.csv "
        "and negative_qty.csv): import with `--profile orders` / `--profile order_lines`. "
        "Order ids SO-2699-xxxx do not exist in the demo data; rows that use demo order ids "
        "carry the demo values, so a correct import into the demo workspace rejects rows or "
        "leaves them unchanged, and never damages it. Regenerate with "
        "`.venv/bin/python tools/make_sample_data.py`.",
        "",
        "| 文件 file | 错误 the mistake | 导入器应当 what the importer should say |",
        "|---|---|---|",
    ]
    for name, mistake, expect in files:
        parts.append(f"| `{name}` | {mistake} | {expect} |")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------
# summary and README


def summarize(world: World, counts: dict[str, int]) -> dict[str, Any]:
    orders = world.orders
    stage_order = [s for s, _ in STAGES]
    by_stage = Counter(o.stage for o in orders)
    open_ids = {o.id for o in orders if not o.shipments}
    available: dict[str, int] = defaultdict(int)
    for sku, _wh, on_hand, reserved, _c in world.inventory:
        available[sku.code] += on_hand - reserved
    demand: dict[str, int] = defaultdict(int)
    for o in orders:
        if o.id in open_ids:
            for line in o.lines:
                demand[line.sku.code] += line.qty
    short = sorted(code for code, need in demand.items() if available.get(code, 0) < need)
    short_orders = sorted(
        o.id for o in orders if o.id in open_ids and any(line.sku.code in short for line in o.lines)
    )
    delivered = [o for o in orders if o.delivered_at is not None]
    late = [o for o in delivered if o.late]
    overdue_open = [o for o in orders if o.delivered_at is None and o.promised < NOW.date()]
    past_plan = [o for o in orders if not o.shipments and o.planned_ship < NOW.date()]
    ships = [s for o in orders for s in o.shipments]
    return {
        "counts": counts,
        "by_stage": [(s, by_stage.get(s, 0)) for s in stage_order],
        "big": sorted((o for o in orders if o.amount > DIRECTOR_LIMIT), key=lambda o: -o.amount),
        "very_big": [o for o in orders if o.amount > 300_000_00],
        "amount_band": sum(1 for o in orders if 5_000_00 <= o.amount <= 90_000_00),
        "short": short,
        "short_orders": short_orders,
        "delivered": delivered,
        "late": late,
        "overdue_open": overdue_open,
        "past_plan": past_plan,
        "exceptions": [
            (o, s) for o in orders for s in o.shipments if s.status in ("派送异常", "拒收", "退回")
        ],
        "expedited": sum(1 for s in ships if s.expedited),
        "ships": len(ships),
        "split": sum(1 for o in orders if len({ln.warehouse for ln in o.lines}) > 1),
        "complaints": sum(1 for f in world.feedback if f[3]),
    }


def summary_text(world: World, s: dict[str, Any]) -> str:
    lines = ["rows per file:"]
    for name, n in s["counts"].items():
        lines.append(f"  {name:<24} {n:>5}")
    lines.append("orders per current stage (at 2026-06-30 17:00):")
    for stage, n in s["by_stage"]:
        lines.append(f"  {stage:<18} {STAGE_ZH[stage]:<5} {n:>4}")
    n = len(world.orders)
    lines += [
        f"orders: {n}; customers: {len(world.customers)}; SKUs: {len(world.skus)}",
        f"orders 5,000-90,000 CNY: {s['amount_band']} ({s['amount_band'] / n:.0%})",
        f"orders > 100,000 (director approval): {len(s['big'])} ({len(s['big']) / n:.0%}); "
        f"> 300,000: {len(s['very_big'])}",
        f"short SKUs (available < open demand): {len(s['short'])}; open orders affected: "
        f"{len(s['short_orders'])}",
        f"delivered orders: {len(s['delivered'])}; late: {len(s['late'])} "
        f"({len(s['late']) / max(1, len(s['delivered'])):.0%})",
        f"not delivered and past the promised date: {len(s['overdue_open'])}",
        f"not shipped and past the planned ship date: {len(s['past_plan'])}",
        "carrier exceptions: "
        + ", ".join(
            f"{k} {v}" for k, v in sorted(Counter(sh.status for _, sh in s["exceptions"]).items())
        ),
        f"shipments: {s['ships']}, expedited: {s['expedited']} "
        f"({s['expedited'] / max(1, s['ships']):.0%}); orders split over two warehouses: "
        f"{s['split']}",
        f"feedback: {len(world.feedback)} rows, {s['complaints']} complaints",
    ]
    return "\n".join(lines)


def make_readme(world: World, s: dict[str, Any], summary: str) -> str:
    by_id = {o.id: o for o in world.orders}

    def cny(o: Order) -> str:
        return f"{o.amount / 100:,.2f}"

    big = s["big"]
    big_pick = [big[0], big[1], *[o for o in big if o.stage == "director_approval"][:2]]
    big_pick = list({o.id: o for o in big_pick}.values())[:4]
    big_lines = [
        f"- `{o.id}` {o.customer.name},{cny(o)} 元,当前环节 {STAGE_ZH[o.stage]} ({o.stage})"
        for o in big_pick
    ]
    waiting = [by_id[i] for i in s["short_orders"] if by_id[i].stage == "picking"]
    waiting.sort(key=lambda o: o.planned_ship)
    short_pick = (
        waiting[:4]
        if len(waiting) >= 4
        else waiting
        + [by_id[i] for i in s["short_orders"] if by_id[i].stage != "picking"][: 4 - len(waiting)]
    )
    short_names = {sku.code: sku.name for sku in world.skus}
    short_lines = []
    for o in short_pick:
        items = ", ".join(
            sorted({short_names[ln.sku.code] for ln in o.lines if ln.sku.code in s["short"]})
        )
        short_lines.append(
            f"- `{o.id}` {o.customer.name}:缺 {items};计划发货 "
            f"{o.planned_ship.isoformat()},当前环节 {STAGE_ZH[o.stage]}"
        )
    exc_lines = [
        f"- `{o.id}` {sh.carrier} {sh.tracking}:{sh.status}(发货 {sh.shipped_at:%m-%d %H:%M})"
        for o, sh in s["exceptions"]
    ]
    late = sorted(s["late"], key=lambda o: -(o.delivered_at.date() - o.promised).days)
    late_lines = [
        f"- `{o.id}` {o.customer.name}:承诺 {o.promised.isoformat()},签收 "
        f"{o.delivered_at:%Y-%m-%d},晚 {(o.delivered_at.date() - o.promised).days} 天"
        for o in late[:4]
    ]
    past = sorted(s["past_plan"], key=lambda o: o.planned_ship)
    past_lines = ", ".join(f"`{o.id}`" for o in past[:8])
    stuck_review = sorted(
        (o for o in world.orders if o.stage == "business_review"), key=lambda o: o.events[-1][1]
    )
    stuck_review_txt = ", ".join(
        f"`{o.id}`(自 {o.events[-1][1]:%m-%d %H:%M})" for o in stuck_review[:4]
    )
    files = [
        (
            "销售订单_2026Q2.xlsx",
            "orders",
            "订单表头(金蝶销售订单列表):第 1 行是合并的标题行,最后一行是“合计”;"
            "日期是真正的 Excel 日期单元格;“备注”列不属于任何字段,导入后保存在 attrs 中。",
            "Order headers (Kingdee order list) with a merged title row above the header and a "
            "trailing total row; real Excel date cells; the extra 备注 column is kept in attrs.",
        ),
        (
            "订单明细_2026Q2.csv",
            "order_lines",
            "订单行,GBK 编码,Windows 换行;少数金额带千分位(如 12,500.00)。",
            "Order lines, GBK-encoded, CRLF; a few amounts with thousands separators.",
        ),
        (
            "即时库存_20260630.xlsx",
            "inventory",
            "每个物料 × 仓库(上海仓、苏州仓)一行:现存量、预留量、单位成本。",
            "Stock per SKU and warehouse: on hand, reserved, unit cost.",
        ),
        (
            "物流跟踪_20260630.csv",
            "wms_shipments",
            "快递跟踪,UTF-8 带 BOM;运费有的带 ¥ 和千分位;签收时间为空表示未签收。",
            "Carrier tracking, UTF-8 with BOM; some freight costs like ¥1,234.50; blank 签收时间 = "
            "not delivered.",
        ),
        (
            "开票记录.xlsx",
            "invoices",
            "数电发票(20 位号码,文本单元格);税额为价税合计中所含 13% 增值税;"
            "30 万以上的订单分两张发票。",
            "Invoices (20-digit e-invoice numbers stored as text), 13% VAT included; orders over "
            "300k are invoiced in two.",
        ),
        (
            "收款记录.csv",
            "payments",
            "收款,日期写作 2026/6/3;少数订单分两次付款,付清才进入“回款”。",
            "Payments, dates like 2026/6/3; a few orders paid in two instalments (paid = paid in "
            "full).",
        ),
        (
            "客户反馈.csv",
            "feedback",
            "投诉与 NPS 回访;延迟交付的订单多有投诉;意见中有中英文逗号。",
            "Complaints and NPS answers, correlated with late deliveries; comments contain commas.",
        ),
        (
            "客户档案.xlsx",
            "customers",
            "客户编码、名称、分类(战略/重点/普通)、地区、信用额度、联系人、邮箱。",
            "Customer master: segment, region, credit limit, contact.",
        ),
        (
            "流程记录.csv",
            "stage_history",
            "每个订单进入每个环节一行(中文环节名,由 ordertrack.toml 中的 "
            "values.to_stage 映射为环节 id);只有金额 > 100,000 的订单有“总监审批”。",
            "One row per stage entered (Chinese stage names mapped to stage ids in "
            "ordertrack.toml); only orders > 100,000 pass 总监审批.",
        ),
    ]
    files += [
        (
            "ordertrack.toml",
            "",
            "工作区配置:角色与人员、九个环节、每个文件的 profile。",
            "Workspace config: roles, the nine stages, one profile per file.",
        ),
        (
            "broken/",
            "",
            "常见错误的样本文件,见 broken/README.md。",
            "One file per common mistake; see broken/README.md.",
        ),
    ]
    table = "\n".join(
        f"| `{f}` | {f'`{p}`' if p else '—'} | {zh} | {en} |" for f, p, zh, en in files
    )
    people = "\n".join(
        f"| {name} | `{login}` | {role} | {title} |" for name, login, role, title in PEOPLE
    )
    split = s["split"]
    return f"""# 演示数据 / Demo data: {COMPANY}

由 `tools/make_sample_data.py` 生成(固定随机种子,重复运行得到完全相同的文件)。
Generated by `tools/make_sample_data.py` (fixed seed; re-running rewrites every file byte
for byte).

```sh
.venv/bin/python tools/make_sample_data.py      # 重新生成 / regenerate sample_data/
```

## 故事 / The story

{COMPANY}是一家中等规模的自动化零部件制造兼分销企业(上海仓、苏州仓),这里是它 2026 年第二季度
(4 月 1 日至 6 月 30 日)的导出数据。演示中的“今天”是 **2026-06-30 17:00(Asia/Shanghai)**,
演示工作区的 `ordertrack.toml` 用 `[workspace] clock` 把时钟固定在这一刻。约 400 张订单、60 个客户、
6 名销售(张伟、李娜、王强、刘洋、陈静、Emily Zhou)各配一名跟单员,80 多个物料。
较早的订单大多已签收、开票、回款;最近两三周的订单停在各个环节。

The exports of a mid-sized automation-parts manufacturer-distributor for Q2 2026. "Today"
is **2026-06-30 17:00 Asia/Shanghai**: the demo workspace pins its clock there with `[workspace] clock`.
Older orders are mostly delivered, invoiced and paid; those of the last two or three weeks
are open at every stage.

值得关注的订单 / Orders worth a look:

**金额超过 10 万、需要总监审批 / over 100,000 (director approval)** — 共 {len(big)} 张:
{chr(10).join(big_lines)}

**缺货 / short of stock** — {len(s["short"])} 个物料的可用库存(现存量 − 预留量,两个仓合计)
少于未发货订单的需求,涉及 {len(s["short_orders"])} 张订单,例如:
{chr(10).join(short_lines)}

已过计划发货日期仍未发货 / past the planned ship date, not shipped ({len(s["past_plan"])}):
{past_lines}

**物流异常 / carrier exceptions** ({len(s["exceptions"])}):
{chr(10).join(exc_lines)}

**延迟交付 / late deliveries** — 已签收订单中 {len(s["late"])} 张晚于承诺交期
({len(s["late"]) / max(1, len(s["delivered"])):.0%});晚得最多的:
{chr(10).join(late_lines)}

商务审核积压 / waiting in 商务审核 (SLA 2h): {stuck_review_txt}

## 文件 / Files

每个文件的表头都是对应内置预设(preset)能识别的名称;`ordertrack.toml` 为每个文件配置了一个
profile(`preset` + 文件全名)。
Every file's headers are names its built-in preset knows; `ordertrack.toml` has one
profile per file (`preset` + the exact file name).

| 文件 file | 预设 preset | 说明 | description |
|---|---|---|---|
{table}

## 数据概况 / Summary

```
{summary}
```

## 人员 / People

`流程记录.csv` 的“操作人”和订单的“销售员/跟单员”写的是中文姓名(ERP 导出就是这样);
`ordertrack.toml` 的 `[roles]` 列出每人的登录名和邮箱(均为 example.com)。
The 操作人 of the stage history and the orders' 销售员/跟单员 are names as the ERP
exports them; `[roles]` in `ordertrack.toml` lists each person's login and e-mail.

| 姓名 name | 登录名 login | 角色 role | 职务 title |
|---|---|---|---|
{people}

## 细节 / Details worth knowing

- {split} 张订单的物料分别从上海仓和苏州仓发出,各有一个发货单;全部包裹签收后订单才进入“客户签收”,
  所以“物流跟踪”里可能一个包裹已签收、另一个还在运输中。
  {split} orders ship from both warehouses as two parcels; an order is signed for only when
  every parcel is delivered.
- 战略客户和部分客户月结:月底统一开票,所以“客户签收”停留较久;账期 30–45 天,部分客户逾期付款。
  Strategic (and some other) customers are invoiced at month end; payment terms 30–45 days,
  some customers pay late.
- 季度末:6 月 29–30 日商务审核积压(何佳休假),财务月底结账审批变慢;销售总监马骏 6 月 24 日起出差,
  期间的总监审批都在等他回来。
  Quarter end: reviews pile up on 29–30 June, finance is slow while closing the books, and
  the sales director is travelling from 24 June, so director approvals wait.
- 短交期的订单更容易延迟;缺货订单多用顺丰加急补救(加急运费)。
  Tight promises are the ones that slip; late orders are often shipped expedited.

客户、物料、人名均为虚构。 Customers, items and people are invented.
"""


# ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "sample_data",
        help="output folder (default: sample_data/ of the repository)",
    )
    args = parser.parse_args()
    out: Path = args.out
    if (out / "broken").exists():
        shutil.rmtree(out / "broken")
    out.mkdir(parents=True, exist_ok=True)

    world = World()
    world.make_orders()
    world.simulate()
    world.number_documents()
    world.make_inventory()
    world.make_feedback()

    counts = write_files(world, out)
    (out / "ordertrack.toml").write_text(make_toml(), encoding="utf-8")
    broken = make_broken(world, out / "broken")
    (out / "broken" / "README.md").write_text(broken_readme(broken), encoding="utf-8")
    s = summarize(world, counts)
    summary = summary_text(world, s)
    (out / "README.md").write_text(make_readme(world, s, summary), encoding="utf-8")
    print(summary)


if __name__ == "__main__":
    main()
