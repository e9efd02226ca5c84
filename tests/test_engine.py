from __future__ import annotations

import pytest

from classifiers.engine import Engine
from classifiers.normalize import MAX_CHARS
from classifiers.scorer import level_of, risk_of


def test_scam_is_flagged_with_type_and_explained(rules_engine: Engine) -> None:
    v = rules_engine.check("您好，您在我们平台申请的贷款已审批，但银行卡号填错被冻结，需先交2000元解冻金才能放款")
    assert v.is_fraud and v.fraud_type == "fake_loan"
    assert any(e.rule_id.startswith(("fake_loan.", "generic.")) and e.weight > 0 for e in v.evidence)
    for e in v.evidence:
        if e.kind in ("keyword", "phrase", "sequence", "fuzzy"):
            assert e.matched and v.normalized[e.start : e.end] == e.matched


def test_benign_notice_is_not_flagged(rules_engine: Engine) -> None:
    v = rules_engine.check("【某银行】您的验证码为482913，5分钟内有效，请勿泄露给他人。")
    assert not v.is_fraud and v.fraud_type is None


def test_propaganda_is_recognised_and_not_flagged(rules_engine: Engine) -> None:
    v = rules_engine.check("警方提醒：公检法机关不会电话办案，不存在所谓安全账户，凡是要求转账到安全账户的都是诈骗。")
    assert v.is_propaganda and not v.is_fraud


def test_instructions_that_mention_a_prompt_are_not_a_warning(rules_engine: Engine) -> None:
    """"按照平台提示操作" is a scammer's instruction, "我会提醒你" is the caller speaking: neither is an official
    warning, so neither may discount the message as propaganda."""
    for msg in ["我是贷款平台客服，请下载官方APP，按照提示完成注册，再联系我领取额度",
                "你好，这是平台的操作通知，我会提醒你每一步怎么转"]:
        v = rules_engine.check(msg)
        assert not any(e.rule_id == "propaganda.official_warns" for e in v.evidence), msg
    accused = rules_engine.check("我是市公安局民警，你名下账户涉嫌洗钱，反诈中心已对你的资金进行止付，请配合核查")
    assert not accused.is_propaganda and accused.is_fraud
    news = rules_engine.check("近日，区反诈中心及时止付一起冒充客服诈骗案，为市民挽回损失五万元。")
    assert news.is_propaganda
    warning = rules_engine.check("银行提醒：任何自称客服要求您转账的都是诈骗，请勿轻信。")
    assert any(e.rule_id == "propaganda.official_warns" for e in warning.evidence)


def test_scam_dressed_as_a_warning_with_its_own_number_is_still_flagged(rules_engine: Engine) -> None:
    v = rules_engine.check("【公安提示】您的手机号涉嫌诈骗，名下银行卡将被冻结，请速联系我局办案民警：010-66667777")
    assert not v.is_propaganda
    assert v.is_fraud


def test_a_fight_or_damage_that_needs_money_is_an_emergency_story(rules_engine: Engine) -> None:
    for msg in ["外婆，我和同学吃饭时跟隔壁桌打起来了，对方说要私了，让我赔五千块",
                "舅舅，我骑电动车把人家的车撞坏了，人家不让走，我这边没这么多钱"]:
        v = rules_engine.check(msg)
        assert any(e.rule_id == "impersonate_acquaintance.emergency_money" for e in v.evidence), msg


def test_money_to_a_third_persons_card_is_a_red_flag(rules_engine: Engine) -> None:
    v = rules_engine.check("妈，我手机被人偷了，借同学手机发的，你先汇3000块到我室友小王的卡上，急用")
    fired = {e.rule_id for e in v.evidence}
    assert {"generic.third_party_account", "generic.changed_contact"} <= fired
    assert v.is_fraud
    salary = rules_engine.check("这个月的工资已经打到你的卡上了，记得查收")
    assert "generic.third_party_account" not in {e.rule_id for e in salary.evidence}


def test_a_landlord_with_a_new_number_who_wants_rent_on_a_spouses_card_is_flagged(engine: Engine) -> None:
    v = engine.check("我是房东，换了个号码你记一下，这个月的房租汇我爱人卡上，建行6217 0012 3456 7890，谢谢")
    assert v.is_fraud and v.fraud_type == "impersonate_acquaintance"
    assert "generic.third_party_account" in {e.rule_id for e in v.evidence}
    call = engine.check("你打我老公微信问问他几点到家")
    assert "generic.third_party_account" not in {e.rule_id for e in call.evidence}


_ORDER = "要在你店里订购三百份午餐，另外需要你先帮忙从我们指定的供应商那里进一批饮料，货款一起结算"

# The borders in knowledge_base/README.md, carried into the rules by type-only phrases: (message, the type it
# must get, a type-only phrase, whether that phrase decides it (True) or must stay silent on this counterpart).
BORDERS = [
    ("老板你好，我是实验中学的王主任，学校" + _ORDER, "impersonate_acquaintance",
     "impersonate_acquaintance.institution_order", True),
    ("你好，我是武警部队后勤的，部队" + _ORDER, "other_fraud", "impersonate_acquaintance.institution_order", False),
    ("阿姨您好，我是您儿子的朋友小刘，他被几个陌生人带走了，他们说今天不转三万块就对他不利，千万别报警",
     "other_fraud", "other_fraud.coercion_type", True),
    ("阿姨您好，我是您儿子的朋友小刘，他打球摔伤住院了，手术费还差三万块，您先转给我，我帮您交上",
     "impersonate_acquaintance", "other_fraud.coercion_type", False),
    ("喂，是王先生吗？我是您儿子的同学，他放学路上被几个混混围住了，您马上转两万块过来，不然他们不会放人",
     "other_fraud", "other_fraud.coercion_type", True),
    ("叔叔，我是小杰的朋友，他现在在我们这儿，您赶紧打五万块钱，晚了我可不保证他的安全",
     "other_fraud", "other_fraud.coercion_type", True),
    ("叔叔，我和朋友喝酒跟人打架被派出所扣了，要交五千保证金才能放人，您先转给我，别告诉我爸",
     "impersonate_acquaintance", "other_fraud.coercion_type", False),
    # 被绑定 is an account bound to something, not a kidnapping.
    ("您好，我是快手平台客服，您的身份信息被绑定成了代理商，每月自动扣费八百，不解除会影响征信，请下载会议软件共享屏幕",
     "fake_customer_service", "other_fraud.coercion_type", False),
    ("这个数字资产平台稳赚不赔，充值五千起步，每发展一个下线拿直推奖，伞下满三十人还有团队奖，快拉亲戚进来",
     "other_fraud", "other_fraud.recruiting_type", True),
    ("这个元宇宙数字币项目是国家支持的，买币稳赚，每介绍一个下家进来，他投的钱你拿百分之十，介绍越多赚越多",
     "other_fraud", "other_fraud.recruiting_type", True),
    ("群里的带单老师说这个百家乐平台有规律，跟着他押大小稳赚，我已经充了两万，现在提现要先交保证金",
     "other_fraud", "other_fraud.betting_type", True),
    ("网上认识的男朋友说他舅舅在博彩平台后台，知道漏洞，带我一起下注稳赚，说为了我们的将来，现在我充了五万提不出来",
     "romance_scam", "other_fraud.betting_type", True),  # the hint fires, the romance evidence outweighs it
    ("爸，我报了个考研辅导班，老师说交八千包过，一周内不满意退一半，我把老师微信发你，你直接转给他吧",
     "impersonate_acquaintance", "impersonate_acquaintance.opens_as_family", True),
    ("您好，我是淘宝店铺的客服，店里要冲销量，请您帮忙刷单，先垫付三笔，完成后马上返本金和佣金",
     "order_brushing", "order_brushing.names_brushing", True),
    ("我是你堂姐，我在国外回不去了，航空公司客服说改签要先交三千，你帮我转给客服，回国就还你",
     "impersonate_acquaintance", "impersonate_acquaintance.speaks_as_someone_you_know", True),
    ("我是你们群里的带单老师，跟着我投这个平台稳赚，先充值五千，提现时再交手续费",
     "fake_investment", "impersonate_acquaintance.speaks_as_someone_you_know", False),
    ("我是你们的老师，今天带大家看盘，跟着我买这只股票稳赚，先充值到平台",
     "fake_investment", "impersonate_acquaintance.speaks_as_someone_you_know", False),
    # Words with an everyday meaning must not decide the type: 下线 (went offline), 卡单 (a stuck parcel).
    ("你好，我是交易猫客服，卖家已经下线了，您的账户因操作异常被冻结，需要缴纳保证金才能解冻提现",
     "game_trading", "other_fraud.recruiting_type", False),
    ("您好，我是快递客服，您的包裹卡单了，需要您配合处理退款，请下载会议软件共享屏幕",
     "fake_customer_service", "order_brushing.names_brushing", False),
    ("您好，我是东方航空公司客服，您预订的航班因机械故障取消了，我们给您办理退票加300元补偿，请提供银行卡号",
     "fake_customer_service", "impersonate_acquaintance.institution_order", False),
]


@pytest.mark.parametrize(("text", "want", "hint", "fires"), BORDERS,
                         ids=[f"{w}{'' if f else '-not'}-{h}" for _, w, h, f in BORDERS])
def test_type_borders(engine: Engine, text: str, want: str, hint: str, fires: bool) -> None:
    v = engine.check(text)
    assert v.is_fraud and v.fraud_type == want
    fired = [e for e in v.evidence if e.rule_id == hint]
    if fires:
        assert fired and fired[0].kind == "type_hint" and fired[0].weight == 0.0
    else:
        assert not fired


def test_a_link_to_a_childs_report_is_flagged_unless_it_is_the_schools_own_site(engine: Engine) -> None:
    scam = engine.check("王家长您好，这是孩子本学期的成绩报告单，请点击链接查看 http://t.cn/A6x9kQ")
    assert scam.is_fraud and scam.fraud_type == "impersonate_acquaintance"
    assert any(e.rule_id == "combo.school_report_link" for e in scam.evidence)
    for real in ["【实验中学】家长您好，孩子本学期的体检报告已上传，请登录 https://www.syzx.edu.cn 查看。",
                 "【智学网】家长您好，孩子的期末考试成绩已发布，请点击链接查看 https://www.zhixue.com/m/report"]:
        v = engine.check(real)
        assert not v.is_fraud and not any(e.rule_id == "combo.school_report_link" for e in v.evidence), real


def test_a_genuine_order_paid_through_the_company_account_is_not_flagged(engine: Engine) -> None:
    real = engine.check("您好，我是实验中学的王主任，学校运动会想在贵店订购三百份盒饭，周五中午送到，"
                        "价格合适的话我们走对公转账。")
    assert not real.is_fraud
    assert any(e.rule_id == "legit.company_account" for e in real.evidence)
    scam = engine.check("我是你们王总，这笔货款不走公账了，直接转到我给你的个人卡上，马上办")
    assert scam.is_fraud and not any(e.rule_id == "legit.company_account" for e in scam.evidence)


def test_determinism(engine: Engine) -> None:
    text = "宝妈在家兼职，点赞一单返5元，先垫付后返本金"
    a, b = engine.check(text), engine.check(text)
    assert a == b


def test_long_text_is_truncated_and_said_so(engine: Engine) -> None:
    v = engine.check("正常的会议记录内容。" * (MAX_CHARS // 5))
    assert v.truncated


def test_empty_text(engine: Engine) -> None:
    v = engine.check("")
    assert v.level == "none" and not v.is_fraud and v.evidence == []


def test_negation_blocks_warning_phrases(rules_engine: Engine) -> None:
    v = rules_engine.check("公司财务通知：货款请打到我司对公账户，请勿转入个人账户。")
    assert not any(e.rule_id == "generic.designated_account" for e in v.evidence)


def test_homophones_are_matched_for_long_terms_only(rules_engine: Engine) -> None:
    v = rules_engine.check("这是一个安全帐户，你把钱转进去")
    assert v.is_fraud
    v2 = rules_engine.check("马上到家了，晚上吃饭")
    assert not v2.evidence


def test_levels_and_risk_are_consistent() -> None:
    for e in (0, 2, 2.5, 3.9, 4, 5.9, 6, 12):
        assert (risk_of(e) >= 0.5) == (level_of(e) in ("medium", "high"))


def test_type_only_phrase_chooses_the_type_without_raising_the_risk(  # type: ignore[no-untyped-def]
        rules_engine: Engine, engine: Engine, kb_copy) -> None:
    """`impersonate_officials.claims_official` is type_only: the claimed office tells which scam it is, but a
    genuine police call introduces itself the same way, so it must not add risk."""
    from classifiers.engine import build_engine

    path = kb_copy / "patterns" / "impersonate_officials.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    - id: claims_official")
    end = text.index("    - id: ", start + 10)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    without = build_engine(kb_copy, None)
    for msg in ["您好，我是市疾控中心的工作人员，您的快递包裹检测出问题，请下载会议软件配合登记",
                "您好，我是城关派出所的民警，您刚才是不是接到自称客服的电话？千万不要转账，有疑问打110。"]:
        a, b = rules_engine.check(msg), without.check(msg)
        assert a.risk == b.risk and a.level == b.level
        hint = [e for e in a.evidence if e.rule_id == "impersonate_officials.claims_official"]
        assert hint and hint[0].weight == 0.0 and hint[0].kind == "type_hint"
        assert dict(a.types).get("impersonate_officials", 0) > dict(b.types).get("impersonate_officials", 0)
    police = engine.check("您好，我是城关派出所的民警，您刚才是不是接到自称客服的电话？千万不要转账，有疑问打110。")
    assert police.level in ("none", "low")


def test_an_app_named_at_length_counts_as_a_download_request(engine: Engine) -> None:
    tip = engine.check("我炒股收益很稳，你去下载一个名叫‘金鼎汇通’的手机APP，我每天在里面给你推荐股票。")
    assert tip.is_fraud and tip.fraud_type == "fake_investment"
    assert "generic.download_app" in {e.rule_id for e in tip.evidence}
    for real in ["宝宝快打疫苗了，你下载一个叫小豆苗的app查一下接种记录",
                 "请在应用商店下载一个叫做国家反诈中心的App，开启来电预警。"]:
        assert not engine.check(real).is_fraud, real


def test_a_tax_before_the_payout_is_a_fee_to_withdraw(rules_engine: Engine) -> None:
    v = rules_engine.check("您在平台的理财项目已到期，需先缴纳百分之二十的税费，缴纳完成后即可回款到您的银行卡。")
    assert "fake_investment.fee_to_withdraw" in {e.rule_id for e in v.evidence}


def test_click_to_unlock_right_before_a_link_is_a_phishing_request(engine: Engine) -> None:
    v = engine.check("【银行通知】您的账户被锁，请点击解锁：http://yhjs.cn/a8")
    assert v.is_fraud and v.fraud_type == "phishing_link"
    assert "phishing_link.link_to_verify" in {e.rule_id for e in v.evidence}
    real = engine.check("【招商银行】您的信用卡已寄出，收到后请点击激活 https://cmbchina.com/act")
    assert not real.is_fraud


def test_a_real_service_saying_what_it_does_not_need_is_not_a_request(engine: Engine) -> None:
    v = engine.check("您好，这里是京东客服，您反映的洗衣机外壳破损我们核实了，给您补偿300元，直接退回原支付账户，"
                     "不需要您提供银行卡，也不需要您转账。")
    assert not v.is_fraud
    assert "generic.request_to_reader" not in {e.rule_id for e in v.evidence}


def test_a_mortgage_paid_into_the_housing_escrow_account_is_not_a_safe_account_scam(engine: Engine) -> None:
    real = engine.check("【工商银行】您申请的个人住房贷款已审批通过，贷款将于合同约定日期发放至售房方的资金监管账户，"
                        "请留意后续通知。")
    assert not real.is_fraud
    scam = engine.check("我是市公安局的，你名下账户涉嫌洗钱，要把资金转到我们的资金监管账户进行核查，核查完退还。")
    assert scam.is_fraud and scam.fraud_type == "impersonate_officials"


def test_a_warning_that_quotes_a_plea_for_money_stays_a_warning(engine: Engine) -> None:
    v = engine.check("【社区民警提醒】各位居民，近期有老人接到“外孙打架被扣急需用钱”的电话，请大家提醒家中老人，"
                     "先给孩子本人打电话核实，不要轻易转账。")
    assert not v.is_fraud and v.is_propaganda


def test_a_police_call_that_says_do_not_transfer_is_not_a_money_request(rules_engine: Engine) -> None:
    # Rules only: the learned layer must not be what saves the police's own dissuasion call.
    v = rules_engine.check("您好，我是城南派出所的民警，刚才是不是有人自称客服给您打电话？千万不要转账，"
                           "也不要下载他说的软件，那是骗子。")
    fired = {e.rule_id for e in v.evidence}
    assert not v.is_fraud
    assert "generic.authority_then_money" not in fired
    scam = rules_engine.check("我是城南派出所的民警，你的银行卡涉嫌洗钱，马上把钱转到我们的安全账户，"
                              "千万不要告诉家人。")
    assert scam.is_fraud and scam.level == "high"


def test_a_notice_that_describes_what_scammers_do_is_a_warning(engine: Engine) -> None:
    v = engine.check("各位业主：近期多地出现冒充燃气公司的诈骗，骗子会以“燃气表欠费停气”为由，让您扫码缴费。"
                     "燃气费请在官方营业厅或官方App缴纳。")
    assert v.is_propaganda and not v.is_fraud
    assert "propaganda.describes_scammers" in {e.rule_id for e in v.evidence}


def test_prepaid_tuition_into_an_escrow_account_is_not_a_safe_account_scam(engine: Engine) -> None:
    v = engine.check("【市教育局】校外培训机构预收费须全部进入资金监管账户，家长缴费请认准监管账户，勿向个人转账。")
    assert not v.is_fraud


def test_telling_a_colleague_not_to_transfer_is_not_a_money_request(rules_engine: Engine) -> None:
    v = rules_engine.check("刚才有个号说是张总，让我给一个账户转十万定金。你先别转，我去楼上问问张总本人。")
    assert "generic.money_favor" not in {e.rule_id for e in v.evidence}


def test_a_platform_saying_it_never_asks_for_codes_is_not_a_code_request(engine: Engine) -> None:
    v = engine.check("【美团】您的退款¥36.50已原路退回。美团不会通过短信或私人电话要求您提供验证码，请注意甄别。")
    assert not v.is_fraud
    assert "entity.code_request" not in {e.rule_id for e in v.evidence}


def test_investor_education_and_a_news_report_are_warnings(engine: Engine) -> None:
    for msg in ["【证监局提示】凡是承诺“稳赚不赔”“保本保息”的荐股群，都是非法证券活动，请勿向个人账户转账。",
                "本台消息：前天上午，市民王先生接到“孙子打架被扣要交保证金”的电话，准备汇款时被银行柜员拦下，"
                "经民警核实，孙子正在学校上课。"]:
        v = engine.check(msg)
        assert v.is_propaganda and not v.is_fraud, msg


def test_a_designated_or_verification_account_does_not_make_it_credit_repair(rules_engine: Engine) -> None:
    # Every kind of scam names its own "核验账户"; 虚假征信 is the story about 征信 and closing loan accounts.
    cases = [("快递丢件理赔：请先把一千元转到我们的核验账户，核验后连同赔款退回。", "fake_customer_service"),
             ("网贷审核：请把三千元转到指定账户核验还款能力，核验后放款。", "fake_loan")]
    for msg, want in cases:
        v = rules_engine.check(msg)
        assert v.is_fraud and v.fraud_type == want, msg
        assert "generic.核验账户" in {e.rule_id for e in v.evidence} or "generic.designated_account" in {
            e.rule_id for e in v.evidence}, msg


def test_exam_fraud_needs_an_exam_word_not_any_question(rules_engine: Engine) -> None:
    """题 alone matched 问题, so every 'a problem … the fee' message got an exam-cheating signal."""
    fired = {e.rule_id for e in rules_engine.check("空调有点问题，师傅说上门检查的费用是五十元。").evidence}
    assert "other_fraud.exam_pay_first" not in fired
    fired = {e.rule_id for e in rules_engine.check("包过！考试原题答案提前发你，先付定金五百。").evidence}
    assert "other_fraud.exam_pay_first" in fired


def test_a_ransom_threat_outweighs_a_claimed_family_friend(engine: Engine) -> None:
    """The KB's border: money demanded under threat is other_fraud, even from 'your son's friend'."""
    v = engine.check("甲：喂，是张先生吗？我是你的老朋友老王啊，还记得我吗？乙：老王？好多年没联系了，怎么了？"
                     "甲：你儿子现在在我这里，他出了点麻烦，你得马上汇五万过来，不然他会有危险。"
                     "乙：我儿子怎么会在你那？甲：没时间解释了，你先转钱。")
    assert v.is_fraud and v.fraud_type == "other_fraud"


# Messages written for the phrases added in sessions 6–7. They belong in the KB examples, but adding examples
# forces `kb train`, whose seed noise (±0.2 points of dev type accuracy for these 15 texts) is as large as the
# effect measured; the next retrain should move them there (see the session-7 note).
LATE_HITS = [
    ("other_fraud", "甲：老李，是我啊，你表哥的朋友阿华。乙：阿华？有事吗？"
                    "甲：你侄子现在在我这儿，人被扣着走不了，你半小时内转两万过来，不然我也不敢保证他的安全。"),
    ("other_fraud", "你女儿放学被一伙人带走了，想她平安回家就准备五万块，别报警，报了警就别想再见到她。"),
    ("other_fraud", "入会费三千八，每发展一个下家奖励你八百，下家再拉人你还能拿提成，躺着就能赚钱。"),
    ("other_fraud", "你儿子在我们手上，赶紧打三万到这张卡，敢报警他们就会伤害他。"),
    ("fake_investment", "恭喜您账户收益已达12万，按平台规定回款前需先缴纳20%的个人所得税，"
                        "缴清后系统自动兑付到您的银行卡。"),
    ("phishing_link", "【ETC服务】您的ETC卡已被停用，点击修复 http://etc-fix.top/a 填写信息后即可恢复使用。"),
    ("impersonate_acquaintance", "小张，我是房东，这是我的新号码。这个月房租别打老卡了，"
                                 "直接汇我爱人卡上，户名刘芳，卡号等下发你。"),
    ("fake_customer_service", "您好，我是快递理赔专员，您的包裹丢了要给您赔偿，"
                              "请下载一个名叫“安心理赔”的手机App，我在里面教您操作退款。"),
]
LATE_MISSES = [
    "【某银行】您的手机号已被绑定为新设备的登录账号，如非本人操作，请通过官方App修改密码。",
    "新闻：某地警方破获一起虚假绑架敲诈案，嫌疑人冒充“绑匪”给家长打电话索要赎金，"
    "警方提醒接到此类电话先联系孩子和学校。",
    "【市住建局】新建商品房预售资金须全部存入资金监管账户，购房人请将房款直接存入监管账户，切勿交给个人。",
    "各位居民：骗子会冒充“社保局”打电话，说您的社保卡异常要转钱到“核查账户”，"
    "社保部门从不会这样做，接到请挂断并拨打96110。",
    "本台消息：警方近日打掉一个非法集资团伙，提醒市民凡是承诺高额回报、保本保息的都是非法集资。",
    "美团客服提示：美团不会通过短信或私人电话要求您提供验证码，请勿泄露给任何人。",
    "您好，理赔不需要您提供银行卡号和密码，请直接在淘宝App的订单页面申请退款。",
]


@pytest.mark.parametrize(("want", "text"), LATE_HITS)
def test_late_phrases_catch_their_scams(engine: Engine, want: str, text: str) -> None:
    v = engine.check(text)
    assert v.is_fraud and v.fraud_type == want, (v.level, v.fraud_type)


@pytest.mark.parametrize("text", LATE_MISSES)
def test_late_look_alikes_are_not_flagged(engine: Engine, text: str) -> None:
    v = engine.check(text)
    assert not v.is_fraud, (v.level, v.fraud_type, [e.rule_id for e in v.evidence])
