#!/usr/bin/python3
"""The entity classes of issue 13, each on sentences written for this test
(none taken from ../shared): SPAC mergers, IPO slang and new-listing context,
listings that are no IPO, financing phrases, global and unlisted companies,
foreign and Korean regulators, international bodies, clipped short forms.

Run by meson (suite `lexicons`) with $KTAG naming the CLI and $KTAG_LEXICONS
the bundled set.
"""
import json
import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LEXDIR = os.environ.get("KTAG_LEXICONS",
                        os.path.join(os.path.dirname(os.path.dirname(HERE)), "lexicons"))

# class -> [(sentence, ids that must be found, ids that must not)]
CASES = {
    "spac_merger": [
        ("로봇 부품사 한결정밀, 스팩과의 합병으로 코스닥 진출", {"spac_merger"}, {"ipo"}),
        ("드론 업체 바람솔루션 합병상장 첫날 20% 급등", {"spac_merger"}, {"ipo"}),
        ("의료기기 업체, 합병 증권신고서 정정 제출", {"spac_merger"}, set()),
        ("2차전지 소재사, 스팩 합병상장 예비심사 통과", {"spac_merger"}, set()),
    ],
    "ipo": [
        ("새내기주 푸른바이오, 데뷔 첫날 따상 성공", {"ipo"}, set()),
        ("공모주 열풍 속 반도체 소재사 상장 둘째날도 상승", {"ipo"}, set()),
        ("화장품 업체, 공모가를 밑돌며 거래 시작", {"ipo"}, set()),
        ("2차전지 장비사 코스닥 입성…청약 경쟁률 1200대 1", {"ipo"}, set()),
        ("희망 공모가 밴드 상단 초과해 확정", {"ipo"}, set()),
    ],
    "not_ipo": [
        ("자산운용사, 반도체 ETF 신규상장…총보수 0.1%", set(), {"ipo"}),
        ("미국 증시 상장 ETF에 자금 몰려", set(), {"ipo"}),
        ("새 밈코인, 빗썸에 상장되자마자 300% 급등", {"x:bithumb"}, {"ipo"}),
        ("업비트 상장 소식에 알트코인 들썩", {"x:dunamu"}, {"ipo"}),
        ("인적분할 후 재상장한 지주사 주가 약세", set(), {"ipo"}),
        ("신주 추가상장 물량 부담에 하락", set(), {"ipo"}),
        ("은행 BIS 비율 규제 강화", set(), {"x:bis"}),
    ],
    "loan": [
        ("증권사, 데이터센터 PF 대출 금융주관 맡아", {"loan"}, set()),
        ("사모펀드의 인수금융 리파이낸싱 추진", {"loan"}, set()),
        ("건설사 신디케이트론 3000억원 조달", {"loan"}, set()),
    ],
    "global": [
        ("브로드컴·앰코 강세에 국내 후공정주 동반 상승", {"x:broadcom", "x:amkor"}, set()),
        ("리제네론, 신약 임상 성공에 주가 급등", {"x:regeneron"}, set()),
        ("바이엘과 사노피, 항암제 공동개발 계약", {"x:bayer", "x:sanofi"}, set()),
        ("캐터필러 실적 호조에 굴삭기주 주목", {"x:caterpillar"}, set()),
        ("유럽 완성차 르노, 전기차 전략 수정", {"x:renault"}, set()),
        ("BOE, 애플 아이폰 패널 공급 확대", {"x:boe", "x:apple"}, set()),
        ("블랙스톤·KKR, 국내 물류센터 매입 경쟁", {"x:blackstone", "x:kkr"}, set()),
        ("데이터브릭스 기업가치 620억달러로 평가", {"x:databricks"}, set()),
        ("마이크로스트래티지, 비트코인 추가 매입", {"x:microstrategy"}, set()),
        ("빈패스트, 미국 공장 가동 연기", {"x:vinfast"}, set()),
    ],
    "spaced_global": [
        ("일라이 릴리, 비만치료제 美 승인", {"x:eli-lilly"}, set()),
        ("노보 노디스크, 위고비 공급 확대에 주가 반등", {"x:novo-nordisk"}, set()),
        ("골드만 삭스 \"코스피 목표치 상향\"", {"x:goldman-sachs"}, set()),
        ("모건 스탠리, 메모리 업황 전망 하향", {"x:morgan-stanley"}, set()),
        ("뱅크 오브 아메리카 1분기 순이익 증가", {"x:bank-of-america"}, set()),
        ("존슨 앤드 존슨, 의료기기 사업부 분사 검토", {"x:johnson-and-johnson"}, set()),
        ("버크셔 해서웨이, 日 종합상사 지분 확대", {"x:berkshire-hathaway"}, set()),
        ("웰스 파고와 JP 모건, 실적 발표 앞두고 약세", {"x:wells-fargo", "x:jpmorgan"}, set()),
        ("미쓰비시 중공업, 방산 수주 늘어", {"x:mitsubishi-heavy"}, set()),
        ("사우디국부펀드, 게임사 지분 추가 매입", {"x:pif"}, set()),
        ("배우 릴리 콜린스, 새 드라마 촬영 시작", set(), {"x:eli-lilly"}),
        ("모건 프리먼 주연 영화 재개봉", set(), {"x:morgan-stanley", "x:jpmorgan"}),
        ("앤 해서웨이 주연 신작, 주말 관객 1위", set(), {"x:berkshire-hathaway"}),
        # the spaced form of a longer name wins over its first word's entity
        ("랩지노믹스, 지멘스 헬시니어스 인도법인에 진단키트 공급", {"x:siemens-healthineers"}, {"x:siemens"}),
        ("유나이티드 항공, 여객기 추가 주문", {"x:united-airlines"}, {"033270"}),
    ],
    "unlisted_kr": [
        ("리벨리온, 퓨리오사AI와 AI 반도체 경쟁 격화", {"x:rebellions", "x:furiosa-ai"}, set()),
        ("카카오모빌리티, 택시 호출 수수료 인하", {"x:kakao-mobility"}, set()),
        ("케이블TV 업체, 코인원과 제휴", {"x:coinone"}, set()),
        ("업스테이지, 시리즈B 투자유치 마무리", {"x:upstage", "series_funding"}, set()),
    ],
    "ambiguous_global": [
        ("비자 발급 절차가 간소화된다", set(), {"x:visa"}),
        ("블록 단위로 데이터를 저장한다", set(), {"x:block"}),
        ("리프트 설치 공사로 출입 제한", set(), {"x:lyft"}),
    ],
    "orgs": [
        ("미 증권거래위원회, 가상자산 거래소에 소송 제기", {"x:sec"}, set()),
        ("美법무부, 반독점 조사 착수", {"x:us-doj"}, set()),
        ("EU 집행위원회, 빅테크 과징금 부과", {"x:european-commission"}, set()),
        ("중국 증감회, IPO 심사 강화 방침", {"x:csrc"}, set()),
        ("국제결제은행 BIS, 스테이블코인 위험 경고", {"x:bis"}, set()),
        ("IOSCO와 금융안정위원회, 가상자산 규제 권고안 발표", {"x:iosco", "x:fsb"}, set()),
        ("금융정보분석원, 거래소 자금세탁 검사 착수", {"x:kofiu"}, set()),
        ("영란은행, 기준금리 동결", {"x:boe"}, set()),
        ("미국 연방거래위원회가 합병 심사를 연장했다", {"x:ftc"}, set()),
        ("방사청, K9 자주포 2차 양산 계약 체결", {"x:dapa"}, set()),
        ("고용부, 퇴직연금 디폴트옵션 상품 추가 승인", {"x:moel"}, set()),
        ("통계청 \"3분기 가계소득 증가\"", {"x:kostat"}, set()),
        ("조달청과 200억원 규모 납품계약", {"x:pps"}, set()),
        ("원안위, 원전 계속운전 허가 심의", {"x:nssc"}, set()),
        ("美 연방항공청, 보잉 737 생산 제한 연장", {"x:faa"}, set()),
        ("미 도로교통안전국 조사 착수에 테슬라 하락", {"x:nhtsa"}, set()),
        ("WTO 분쟁해결기구, 반덤핑 판정", {"x:wto"}, set()),
        ("미 국방부와 드론 공급계약", {"x:us-dod"}, set()),
        ("아이돌그룹 펜타곤과 콜라보", set(), {"x:us-dod"}),
        ("감사원칙을 지키는 회사는 드물다", set(), {"x:bai"}),
        ("노동부문 구조조정 본격화", set(), {"x:moel"}),
        ("美 노동부 \"비농업 고용 25만명 증가\"", {"x:us-labor"}, {"x:moel"}),
    ],
    "central_banks": [
        ("브라질 중앙은행, 기준금리 0.5%p 인상", {"x:bcb"}, set()),
        ("뉴질랜드중앙은행 금리 동결에 뉴질랜드달러 약세", {"x:rbnz"}, set()),
        ("튀르키예 중앙은행의 깜짝 인하에 리라화 급락", {"x:cbrt"}, set()),
        ("분데스방크 총재 \"추가 긴축 필요\"", {"x:bundesbank"}, set()),
        ("남아공 중앙은행 총재 교체설", {"x:sarb"}, set()),
        ("중앙은행 디지털화폐 시범사업", set(), {"x:bcb", "x:bok"}),
    ],
    "foreign_bodies": [
        ("미 국무부, 중국 기업 추가 제재 발표", {"x:us-state"}, set()),
        ("일본 후생노동성, 치매 신약 승인", {"x:mhlw"}, set()),
        ("중국 공업정보화부, 반도체 자급 지원책", {"x:miit"}, set()),
        ("대만 금융감독위원회, 보험사 자본규제 완화", {"x:tw-fsc"}, set()),
        ("인도 증권거래위원회, 외국인 투자 규정 개정", {"x:sebi"}, {"x:sec"}),
        ("세계보건기구 \"엠폭스 비상사태 해제\"", {"x:who"}, set()),
        ("독일 연방카르텔청, 플랫폼 기업 조사", {"x:bundeskartellamt"}, set()),
    ],
    "korean_bodies": [
        ("한국소비자원, 공기청정기 성능 시험 결과 공개", {"x:kca"}, set()),
        ("권익위, 공공기관 청렴도 평가 발표", {"x:acrc"}, set()),
        ("벤처캐피탈협회 \"신규 투자 20% 감소\"", {"x:kvca"}, set()),
        ("한국반도체산업협회, 수출 전망 하향", {"x:ksia"}, set()),
        ("수자원공사, 녹색채권 발행", {"x:kwater"}, set()),
        ("도로공사로 출퇴근길 정체", set(), {"x:ex"}),
    ],
    "full_names_need_no_cue": [
        # a full name is never ambiguous, whatever its short form is
        ("예금보험공사, 부실 저축은행 정리 착수", {"x:kdic"}, set()),
        ("신용보증기금 보증 공급 확대", {"x:kodit"}, set()),
        ("한국무역협회 \"하반기 수출 둔화\"", {"x:kita"}, set()),
        ("비바리퍼블리카 기업가치 재평가", {"x:viva-republica"}, set()),
        ("피치레이팅스, 국가신용등급 유지", {"x:fitch"}, set()),
        ("기업어음 발행 잔액 증가", {"cp"}, set()),
        # the short forms still need one
        ("내일 비 예보에 우산 챙기세요", set(), {"x:kdic"}),
        ("수은 중독 사고 조사", set(), {"x:kexim"}),
        ("무협 소설 원작 드라마 인기", set(), {"x:kita"}),
        ("농구 경기 중 토스 실수", set(), {"x:viva-republica"}),
    ],
    "unlisted_financial": [
        ("흥국생명, 신계약 실적 개선", {"x:heungkuk-life"}, set()),
        ("MG손해보험 매각 재추진", {"x:mg-insurance"}, set()),
        ("캐롯손해보험, 자동차보험 점유율 확대", {"x:carrot-insurance"}, set()),
        ("한국씨티은행, 소매금융 철수 완료", {"x:citibank-korea"}, set()),
        ("현대캐피탈 회사채 발행", {"x:hyundai-capital"}, set()),
        ("하나카드, 해외결제 수수료 인하", {"x:hana-card"}, set()),
    ],
    "short_forms": [
        ("한컴, AI 오피스 신제품 공개에 강세", {"030520"}, set()),
        ("엔솔, 북미 합작공장 가동 본격화", {"373220"}, set()),
        ("LS일렉, 변압기 수주 확대", {"010120"}, set()),
        ("하나금융, 주주환원 확대 발표", {"086790"}, set()),
        ("셀트리온헬스 합병 이후 첫 실적", {"delisted:091990"}, set()),
        ("두산로보, 협동로봇 신제품 출시", {"454910"}, set()),
        ("한컴위드, 보안 사업 확대", {"054920"}, {"030520"}),
        ("현차·기아, 미국 판매 신기록", {"005380", "000270"}, set()),
        ("두산에너빌, 체코 원전 주기기 수주", {"034020"}, set()),
        ("현 차관이 국회에 출석했다", set(), {"005380"}),
    ],
}


def tag(texts):
    ktag = os.environ["KTAG"]
    lines = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                    for i, t in enumerate(texts))
    p = subprocess.run([ktag, "-L", LEXDIR, "-i", "jsonl", "-f", "jsonl", "--no-sentiment", "-"],
                       input=lines.encode("utf-8"), stdout=subprocess.PIPE, check=True)
    out = {}
    for line in p.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        out[r["id"]] = {e["id"] for e in r["entities"]}
    return [out[i] for i in range(len(texts))]


class EntityClasses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.flat = [(k, c) for k, cases in CASES.items() for c in cases]
        cls.found = tag([c[0] for _k, c in cls.flat])

    def check(self, cls):
        n = 0
        for (k, (text, want, not_want)), got in zip(self.flat, self.found):
            if k != cls:
                continue
            n += 1
            with self.subTest(text=text):
                self.assertTrue(want <= got, "missing %s in %s" % (want - got, got))
                self.assertFalse(not_want & got, "unexpected %s" % (not_want & got))
        self.assertGreater(n, 0)


for _cls in CASES:
    setattr(EntityClasses, "test_" + _cls, lambda self, c=_cls: self.check(c))


if __name__ == "__main__":
    unittest.main()
